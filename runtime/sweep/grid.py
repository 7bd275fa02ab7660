"""The grid of a workflow's `sweep` statements: every combination of their values, in a stable order.

The first sweep varies slowest (`itertools.product` order), so the order of the points, and
with it the order of every output, is the order of the statements in the file. A point's key
is a short text that names it whatever else changes (its values in parameter order, plus its
walk-forward window), so a store can tell which points are finished.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence

from flowc.compiler.workflow import SweepSpec

Values = dict[str, object]


def grid(sweeps: Sequence[SweepSpec]) -> list[Values]:
    """Every point of the sweeps, first sweep slowest; one empty point when there is no sweep."""
    names = [s.param for s in sweeps]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(s.values for s in sweeps))]


def point_key(values: Values, window: int | None = None) -> str:
    """A stable text key of a point (and its walk-forward window, if any)."""
    items = [[name, values[name]] for name in sorted(values)]
    return json.dumps(items if window is None else [window, items], separators=(",", ":"))
