"""The cross-sectional operators in plain Python: docs/semantics.md, section 5a.

`values` holds every symbol's argument at one step, NaN where the symbol does not take part;
the result holds every symbol's value, NaN for those that do not take part.
"""

from __future__ import annotations

import math

from flowc.runtime.reference.arithmetic import NAN


def cross_section(op: str, values: list[float], n: int) -> list[float]:
    taking = [(s, v) for s, v in enumerate(values) if v == v]
    m = len(taking)
    total = 0.0
    for _, v in taking:
        total = total + v
    mean = total / m if m else NAN
    if op == "cs_rank":
        return [sum(1 for _, w in taking if w <= v) / m if v == v else NAN for v in values]
    if op in ("top", "bottom"):
        def before(j: int, w: float, s: int, v: float) -> bool:
            return (w > v if op == "top" else w < v) or (w == v and j < s)
        return [(1.0 if sum(1 for j, w in taking if before(j, w, s, v)) < n else 0.0) if v == v else NAN
                for s, v in enumerate(values)]
    if op == "demean":
        return [v - mean if v == v else NAN for v in values]
    if op == "cs_zscore":
        ss = 0.0
        for _, v in taking:
            d = v - mean
            ss = ss + d * d
        sd = math.sqrt(ss / (m - 1)) if m >= 2 else NAN
        return [NAN if v != v or sd == 0.0 or sd != sd else (v - mean) / sd for v in values]
    assert op == "cs_weight", op
    a = 0.0
    for _, v in taking:
        a = a + abs(v)
    return [NAN if v != v or a == 0.0 or a != a else v / a for v in values]
