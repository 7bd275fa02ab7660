"""The calendar fields and the period operators, from Python's own calendar (`datetime`).

Implements `docs/semantics.md`, section 5, **Calendar** (`year, month, day, weekday, hour, minute,
new_day, new_week, new_month, new_year`) and the implicit BAR field `time`; not the kernels'
integer arithmetic.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import numpy as np

_EPOCH = datetime.datetime(1970, 1, 1)


def seconds(stamp: np.datetime64) -> float:
    """A step's timestamp in whole seconds since 1970-01-01, floored (the `time` field of BAR here)."""
    if not isinstance(stamp, np.datetime64):  # plain integers (tests): nanoseconds
        stamp = np.datetime64(int(stamp), "ns")
    microseconds = int(np.datetime64(stamp, "us").astype(np.int64))
    return float(microseconds // 1_000_000)


def when(seconds: float) -> datetime.datetime:
    return _EPOCH + datetime.timedelta(seconds=int(seconds))


FIELDS: dict[str, Callable[[datetime.datetime], float]] = {
    "year": lambda d: float(d.year), "month": lambda d: float(d.month), "day": lambda d: float(d.day),
    "weekday": lambda d: float(d.weekday()), "hour": lambda d: float(d.hour), "minute": lambda d: float(d.minute),
}
PERIODS: dict[str, Callable[[datetime.datetime], object]] = {
    "day": lambda d: d.date(), "week": lambda d: tuple(d.isocalendar())[:2], "month": lambda d: (d.year, d.month),
    "year": lambda d: d.year,
}


class NewPeriod:
    """1.0 where the bar's period differs from the previous call's, 0.0 at the first call."""

    def __init__(self, period: str) -> None:
        self.key = PERIODS[period]
        self.previous: object = None

    def __call__(self, time: float) -> float:
        key = self.key(when(time))
        previous, self.previous = self.previous, key
        return 1.0 if previous is not None and key != previous else 0.0
