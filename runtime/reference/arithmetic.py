"""Arithmetic as the reference engine does it: IEEE division, left-to-right sums, truth, binary operators.

Implements `docs/semantics.md`, the notation (IEEE division, evaluation order) and section 3
(Expressions: truth, arithmetic and comparison operators), with Python's floats only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

NAN = math.nan


def div(a: float, b: float) -> float:
    """IEEE division, as numpy does it (Python raises on a zero divisor): x/0 = ±inf, 0/0 = NaN."""
    if b != 0.0 or b != b:
        return a / b
    if a != a or a == 0.0:
        return NAN
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def left_sum(values: Sequence[float]) -> float:
    """Left-to-right sum, oldest first (never `sum()` or `math.fsum`: the rounding must match)."""
    total = 0.0
    for v in values:
        total = total + v
    return total


def truthy(v: float) -> bool:
    """A value is true iff it is defined and not zero."""
    return v == v and v != 0.0


def sign(v: float) -> float:
    """1.0, -1.0 or 0.0; 0.0 for NaN (an undefined signal means flat)."""
    return 1.0 if v > 0.0 else -1.0 if v < 0.0 else 0.0


def floor(v: float) -> float:
    return float(math.floor(v)) if math.isfinite(v) else v


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
}


def binop(op: str, a: float, b: float) -> float:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return NAN if b == 0.0 else a / b
    if op == "and":
        return 1.0 if truthy(a) and truthy(b) else 0.0
    if op == "or":
        return 1.0 if truthy(a) or truthy(b) else 0.0
    if a != a or b != b:  # a comparison with an undefined operand is false, `!=` included
        return 0.0
    return 1.0 if _COMPARE[op](a, b) else 0.0
