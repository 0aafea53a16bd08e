"""``python -m wzmodel``: the same as the ``wzmodel`` command."""

from __future__ import annotations

import sys

from wzmodel.cli import main

sys.exit(main())
