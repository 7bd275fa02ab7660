"""A data-quality summary per symbol: what a researcher checks before trusting a backtest of the data.

Why it exists: bad data passes every check of `data.validate` when each bar is well formed: a
month of missing rows, an unadjusted split, a symbol that starts years after the others. The
summary says, per symbol and over the steps a run trades (from `--start`): its bars, first and
last timestamp, bars per calendar day, typical spacing and largest gap, how many gaps FL615
would warn about, the steps between its first and last bar at which it has no bar (NaN in the
aligned arrays: the other symbols have one), and the close-to-close jumps larger than `JUMP`
(an unadjusted split or a bad tick looks like one). `flowc run -v` prints it and the manifest
records it (`market.quality`); the Python API gives it as a DataFrame (`Backtest.data_quality`).
"""

from __future__ import annotations

import numpy as np

from flowc.runtime.data import MarketData
from flowc.runtime.data_gaps import DAY, GAP_FACTOR, GAP_FLOOR, amount, iso

JUMP = 0.3  # a close more than 30% away from the previous close counts as a jump


def summary(market: MarketData, first: int = 0) -> list[dict[str, object]]:
    """One record per symbol over the steps from `first` (see the module's docstring)."""
    out = []
    stamps_all = market.timestamps[first:].astype("datetime64[us]")
    for s, symbol in enumerate(market.symbols):
        own = market.present[first:, s]
        rows = np.flatnonzero(own)
        record: dict[str, object] = {"symbol": symbol, "bars": len(rows), "first": None, "last": None,
                                     "bars_per_day": None, "typical_spacing_days": None, "largest_gap_days": None,
                                     "largest_gap_from": None, "long_gaps": 0, "missing_steps": 0, "jumps": 0,
                                     "largest_jump": None, "largest_jump_at": None}
        if len(rows):
            stamps = stamps_all[rows]
            record.update(first=iso(stamps[0]), last=iso(stamps[-1]),
                          missing_steps=int(rows[-1] - rows[0] + 1 - len(rows)))
            _, per_day = np.unique(stamps.astype("datetime64[D]"), return_counts=True)
            record["bars_per_day"] = float(np.median(per_day))
        if len(rows) >= 2:
            steps = np.diff(stamps).astype(np.int64)
            typical = float(np.median(steps))
            i = int(np.argmax(steps))
            long = (steps > GAP_FACTOR * typical) & (steps > GAP_FLOOR.astype("timedelta64[us]").astype(np.int64))
            record.update(typical_spacing_days=_days(typical), largest_gap_days=_days(float(steps[i])),
                          largest_gap_from=iso(stamps[i]), long_gaps=int(long.sum()))
            close = market.close[first:, s][rows]
            change = close[1:] / close[:-1] - 1.0
            j = int(np.argmax(np.abs(change)))
            record.update(jumps=int((np.abs(change) > JUMP).sum()), largest_jump=float(change[j]),
                          largest_jump_at=iso(stamps[j + 1]))
        out.append(record)
    return out


def describe(record: dict[str, object]) -> str:
    """One line of `flowc run -v`."""
    if not record["bars"]:
        return f"`{record['symbol']}`: no bars"
    parts = [f"`{record['symbol']}`: {record['bars']:,} bars from {record['first']} to {record['last']}",
             f"{record['bars_per_day']:g} per day"]
    if record["typical_spacing_days"] is not None:
        parts.append(f"spacing {amount(record['typical_spacing_days'])}, largest gap "  # type: ignore[arg-type]
                     f"{amount(record['largest_gap_days'])} from {record['largest_gap_from']}")  # type: ignore[arg-type]
        parts.append(f"{record['long_gaps']} long gap{'s' * (record['long_gaps'] != 1)}")
        jumps = f"{record['jumps']} jump{'s' * (record['jumps'] != 1)} over {JUMP:.0%}"
        parts.append(jumps + f" (largest {record['largest_jump']:+.1%} at {record['largest_jump_at']})")
    parts.append(f"{record['missing_steps']:,} missing step{'s' * (record['missing_steps'] != 1)}")
    return ", ".join(parts)


def _days(microseconds: float) -> float:
    return round(microseconds / float(DAY.astype("timedelta64[us]").astype(np.int64)), 6)
