"""The largest gap in the data: a stretch of missing bars is reported, not silently stepped over.

For each symbol, the spacing of its own bars: the typical spacing is the median step between two
consecutive bars, the largest gap the longest one. The symbol whose largest gap is the most
typical steps long is the data's largest gap; it goes into the manifest, `flowc run -v` prints it,
and FL615 warns when it is far longer than usual: more than `GAP_FACTOR` typical steps *and*
more than `GAP_FLOOR` (a week), so weekends, holidays and the nights between intraday sessions
never count, while 200 missing days in daily bars always do.
"""

from __future__ import annotations

import numpy as np

from flowc.dsl.diagnostics import Diagnostic, diagnose
from flowc.runtime.data import MarketData

GAP_FACTOR = 10  # a gap longer than this many typical steps ...
GAP_FLOOR = np.timedelta64(7, "D")  # ... and longer than a week is worth a warning (FL615)
DAY = np.timedelta64(1, "D")


def largest_gap(market: MarketData, first: int = 0) -> dict[str, object] | None:
    """The longest step between two consecutive bars of one symbol, from step `first` on, or None
    with fewer than three bars: `symbol`, `from` and `to` (the bars either side), `days`,
    `typical_days` (the symbol's median step) and `steps` (the gap in typical steps)."""
    best: tuple[float, dict[str, object]] | None = None
    for s, symbol in enumerate(market.symbols):
        stamps = market.timestamps[first:][market.present[first:, s]].astype("datetime64[us]")
        if len(stamps) < 3:
            continue
        steps = np.diff(stamps)
        typical = np.median(steps.astype(np.int64))
        i = int(np.argmax(steps))
        ratio = float(steps[i].astype(np.int64) / typical) if typical > 0 else 0.0
        if best is None or ratio > best[0]:
            best = (ratio, {"symbol": symbol, "from": iso(stamps[i]), "to": iso(stamps[i + 1]),
                            "days": round(float(steps[i] / DAY), 6),
                            "typical_days": round(float(np.timedelta64(int(typical), "us") / DAY), 6),
                            "steps": round(ratio, 2)})
    return best[1] if best is not None else None


def gap_problem(gap: dict[str, object] | None) -> Diagnostic | None:
    """FL615 when the largest gap is more than `GAP_FACTOR` typical steps and more than a week."""
    if gap is None or float(gap["steps"]) <= GAP_FACTOR or float(gap["days"]) * DAY <= GAP_FLOOR:  # type: ignore
        return None
    return diagnose("FL615", None,
                    "check the data file for missing rows; a gap is stepped over as if the bars were adjacent",
                    detail=f"the data of `{gap['symbol']}` has a gap of {describe(gap)}")


def describe(gap: dict[str, object]) -> str:
    """`200 days from 2005-03-01 to 2005-09-17 (200 times the typical spacing of 1 day)`."""
    return (f"{amount(float(gap['days']))} from {gap['from']} to {gap['to']} "  # type: ignore[arg-type]
            f"({float(gap['steps']):,.4g} times the typical spacing of {amount(float(gap['typical_days']))})")  # type: ignore


def amount(days: float) -> str:
    if days >= 1:
        return f"{days:,.4g} day{'s' if days != 1 else ''}"
    minutes = days * 24 * 60
    return f"{minutes:,.4g} minute{'s' if minutes != 1 else ''}" if minutes >= 1 else f"{days * 86400:,.4g} s"


def iso(stamp: np.datetime64) -> str:
    day = stamp.astype("datetime64[D]")
    return str(day) if day == stamp else str(np.datetime_as_string(stamp, "s"))
