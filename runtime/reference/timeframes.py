"""The coarse bars of a container with a timeframe, from Python's own calendar (`datetime`).

Implements `docs/semantics.md`, section 4a; not the kernel's integer arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable

from flowc.compiler.ir import Timeframe
from flowc.runtime.reference.calendar_fields import PERIODS, when
from flowc.runtime.reference.expressions import Record


def _period(tf: Timeframe) -> Callable[[float], object]:
    """The calendar period a bar's `time` falls in."""
    if tf.kind == "minutes":
        return lambda time: int(time) // (60 * tf.n)
    if tf.kind == "hourly":
        return lambda time: (when(time).date(), when(time).hour)
    key = PERIODS[{"daily": "day", "weekly": "week", "monthly": "month"}[tf.kind]]
    return lambda time: key(when(time))


class CoarseBars:
    """One symbol's coarse bars: the one being built from its bars, and the last one finished."""

    def __init__(self, tf: Timeframe) -> None:
        self.tf = tf
        self.period = None if tf.kind == "every" else _period(tf)
        self.building: Record | None = None
        self.bars = 0  # in the one being built
        self.key: object = None
        self.finished: Record | None = None

    def add(self, bar: Record) -> bool:
        """Add the symbol's bar of this step; whether a coarse bar is seen at this step (then `finished`)."""
        seen = False
        if self.period is not None:
            key = self.period(bar["time"])
            if self.building is not None and key != self.key:
                self.finished, self.building, seen = self.building, None, True
            self.key = key
        if self.building is None:
            self.building, self.bars = {f: bar[f] for f in ("open", "high", "low", "close", "volume", "time")}, 0
        else:
            b = self.building
            b["high"], b["low"] = max(b["high"], bar["high"]), min(b["low"], bar["low"])
            b["close"], b["volume"], b["time"] = bar["close"], b["volume"] + bar["volume"], bar["time"]
        self.bars += 1
        if self.period is None and self.bars == self.tf.n:
            self.finished, self.building, seen = self.building, None, True
        return seen
