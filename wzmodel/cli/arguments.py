"""Argument types that refuse nonsense on the command line itself (argparse then prints the
usage and the accepted range, and exits 2, before any work starts)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

__all__ = ["non_negative_number", "positive_number", "positive_whole_number", "share"]


def _checked(convert: Callable[[str], float], accept: Callable[[float], bool],
             expected: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not (math.isfinite(value) and accept(value)):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    parse.__name__ = expected  # argparse names the type in its messages
    return parse


positive_number = _checked(float, lambda v: v > 0, "a number > 0")
non_negative_number = _checked(float, lambda v: v >= 0, "a number ≥ 0")
positive_whole_number = _checked(int, lambda v: v >= 1, "a whole number ≥ 1")
share = _checked(float, lambda v: 0 <= v <= 1, "a share from 0 to 1")
