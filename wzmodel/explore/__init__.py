"""The explorer: a browser page where finance staff and researchers move budgets, costs,
targets and shares and re-plan, without code.

:mod:`wzmodel.explore.state` holds the logic (plain Python, tested without a browser);
:mod:`wzmodel.explore.page` lays it out with Panel; :mod:`wzmodel.explore.server` serves it.
"""

from wzmodel.explore.state import Answer, Explorer, compare
from wzmodel.explore.uploads import MAX_UPLOAD_BYTES

__all__ = ["MAX_UPLOAD_BYTES", "Answer", "Explorer", "compare"]
