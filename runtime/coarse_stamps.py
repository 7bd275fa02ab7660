"""FL617: a source of coarser bars stamped at the start of their period, read before the period closed.

A weekly or monthly file (or daily bars beside intraday ones) is read at the step of its timestamp.
Vendors stamp such a bar either at its period's end or at its start; stamped at the start, its
close, high and low are read on the period's first step, days before they happened. The stamps
alone tell the two apart against the run's finer clock: a bar stamped at the start sits on the
first step of its calendar period while later steps of the same period follow it.
"""

from __future__ import annotations

import numpy as np

from flowc.dsl.diagnostics import Diagnostic, diagnose
from flowc.runtime.data import MarketData

DAY = np.timedelta64(1, "D")
COARSER = 2.5  # a symbol is coarse when its typical spacing is this many times the finest symbol's ...
SHARE = 0.5  # ... and stamped at its period's start when more than this share of its bars are


def _periods(stamps: np.ndarray, spacing: np.timedelta64) -> np.ndarray:
    """Each step's calendar period for bars of that typical spacing: the month, ISO week, day or hour."""
    if spacing >= 25 * DAY:
        return stamps.astype("datetime64[M]").astype(np.int64)
    days = stamps.astype("datetime64[D]").astype(np.int64)
    if spacing >= 5 * DAY:
        return (days + 3) // 7  # Monday to Sunday
    if spacing >= DAY / 2:
        return days
    return stamps.astype("datetime64[h]").astype(np.int64)


def early_stamps(market: MarketData) -> Diagnostic | None:
    """FL617 for the first symbol whose bars are coarser than the finest symbol's and mostly stamped at the
    first step of their period, with later steps of that period after them."""
    stamps = market.timestamps.astype("datetime64[us]")
    spacing = {}
    for s, symbol in enumerate(market.symbols):
        own = stamps[market.present[:, s]]
        if len(own) >= 3:
            spacing[symbol] = np.median(np.diff(own).astype(np.int64))
    if len(spacing) < 2:
        return None
    finest = min(spacing.values())
    for s, symbol in enumerate(market.symbols):
        if symbol not in spacing or spacing[symbol] < COARSER * finest:
            continue
        typical = np.timedelta64(int(spacing[symbol]), "us")
        period = _periods(stamps, typical)
        first = np.r_[True, period[1:] != period[:-1]]  # the period's first step
        later = np.r_[period[1:] == period[:-1], False]  # another step of the period follows
        at = np.flatnonzero(market.present[:, s])[:-1]  # its last bar's period may be unfinished
        early = first[at] & later[at]
        if len(at) and early.mean() > SHARE:
            day = str(stamps[at[np.argmax(early)]].astype("datetime64[D]"))
            return diagnose(
                "FL617", None,
                "stamp each bar at its period's end (its last step), or build the coarse bars from finer data "
                "with `timeframe = weekly()` (docs/semantics.md, section 4a)",
                detail=f"the bars of `{symbol}` are {int(early.sum())} of {len(at)} stamped at the start of their "
                       f"period (e.g. {day}): read at that step, a bar's close is known before its period closed")
    return None
