"""Deterministic multi-symbol and limit-order data for the oracles of issues 15 and 16.

Why it exists: `rotation`, `rotation_cash`, `pairs` and `limit_entry` must match their oracles
on data the examples were not written against. Everything is seeded (the same frames on every
call) and written in the format of runtime/sample_data/sp500.csv (`unseen.to_csv`: two
decimals, business days with a few holidays dropped), so the CSV text parses to the same
doubles under any float parser.

- `universe(...)`: 20 symbols `S0..S19` with identical timestamps, a market factor (Student-t(3)
  steps) with per-symbol betas, and per-symbol drifts redrawn every 90 bars so the momentum
  leaders change; overnight gaps. "u20" (560 bars, about 14 monthly rebalances after the
  252-bar warm-up) is the rotations' default data; "u20_crash" adds a market crash and makes
  S11 an exact copy of S4 (equal momentum: the tie goes to S4); "u20_short" has 300 bars (two
  or three rebalances).
- `pair(...)`: SPX/NDX-like closes, `log SPX = a + 0.6 log NDX + spread`, the spread an AR(1)
  (mean reverting) whose mean jumps at regime breaks and whose volatility changes, ~800 bars,
  identical timestamps.
- `limit_gaps()`: one symbol oscillating around its 50-bar average with large overnight gaps,
  so limit buys fill at the open through a gap, at the limit, or are cancelled unfilled.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import unseen


def _ohlc(rng: np.random.Generator, index: pd.DatetimeIndex, log_returns: np.ndarray, start: float,
          gap_share: float, wick: float) -> pd.DataFrame:
    """Bars whose closes follow `log_returns`; the open takes a random share (up to
    `gap_share`, plus noise) of the day's move overnight; wicks are |N(0, wick)|."""
    rows, prev = [], start
    for r in log_returns:
        gap = r * rng.uniform(0.0, gap_share) + rng.normal(0.0, wick / 3)
        o = round(float(prev * np.exp(gap)), 2)
        c = round(float(prev * np.exp(r)), 2)
        up, down = np.abs(rng.normal(0.0, wick, 2))
        h = round(float(max(o, c) * np.exp(up)), 2)
        lo = round(float(min(o, c) * np.exp(-down)), 2)
        rows.append((o, h, lo, c, int(rng.integers(1_000_000, 9_000_000))))
        prev = c
    return pd.DataFrame(rows, index=pd.DatetimeIndex(index, name="timestamp"),
                        columns=["open", "high", "low", "close", "volume"])


def universe(seed: int, bars: int, start: str, crash_at: int | None = None,
             duplicate: tuple[int, int] | None = None) -> dict[str, pd.DataFrame]:
    """20 symbols S0..S19 on one calendar (see the module docstring)."""
    rng = np.random.default_rng(seed)
    index = unseen._calendar(rng, start, bars, holidays=bars // 60)
    n = len(index)
    market = np.clip(rng.standard_t(3, n), -8, 8) * 0.010 / np.sqrt(3.0) + 0.0003
    if crash_at is not None:
        market[crash_at: crash_at + 6] += np.array([-0.09, -0.04, 0.05, -0.06, -0.03, 0.02])
    drifts = rng.normal(0.0, 0.0015, (n // 90 + 1, 20))
    betas = rng.uniform(0.5, 1.5, 20)
    vols = rng.uniform(0.008, 0.022, 20)
    starts = np.round(rng.uniform(12.0, 420.0, 20), 2)
    out = {}
    for i in range(20):
        idio = np.clip(rng.standard_t(3, n), -8, 8) * vols[i] / np.sqrt(3.0)
        r = betas[i] * market + drifts[np.arange(n) // 90, i] + idio
        r[0] = 0.0
        out[f"S{i}"] = _ohlc(rng, index, r, float(starts[i]), gap_share=0.8, wick=vols[i] / 2)
    if duplicate is not None:
        a, b = duplicate
        out[f"S{b}"] = out[f"S{a}"].copy()
    return out


def pair(seed: int, bars: int, start: str, breaks: dict[int, tuple[float, float]]) -> dict[str, pd.DataFrame]:
    """SPX and NDX on one calendar: NDX a fat-tailed random walk, `log SPX = log 1400 + 0.6 *
    (log NDX - log NDX0) + s`, `s_t = mu + 0.94 (s_{t-1} - mu) + sigma e_t`; `breaks` maps a bar
    to the new (mu, sigma) from that bar on (a jump in the spread's mean is a regime break)."""
    rng = np.random.default_rng(seed)
    index = unseen._calendar(rng, start, bars, holidays=bars // 60)
    n = len(index)
    ndx_r = np.clip(rng.standard_t(3, n), -8, 8) * 0.015 / np.sqrt(3.0) + 0.0004
    ndx_r[0] = 0.0
    ndx_log = np.log(3000.0) + np.cumsum(ndx_r)
    mu, sigma = 0.0, 0.004
    s, spread_ = 0.0, np.zeros(n)
    for t in range(n):
        mu, sigma = breaks.get(t, (mu, sigma))
        s = mu + 0.94 * (s - mu) + sigma * float(np.clip(rng.standard_t(4), -6, 6))
        spread_[t] = s
    spx_log = np.log(1400.0) + 0.6 * (ndx_log - ndx_log[0]) + spread_
    spx_r = np.diff(spx_log, prepend=spx_log[0])
    spx_start = float(np.exp(spx_log[0]))
    return {"SPX": _ohlc(rng, index, spx_r, spx_start, gap_share=0.7, wick=0.005),
            "NDX": _ohlc(rng, index, ndx_r, 3000.0, gap_share=0.7, wick=0.007)}


def limit_gaps() -> pd.DataFrame:
    """One symbol around its 50-bar average (a 30-bar wave) with frequent large overnight gaps."""
    rng = np.random.default_rng(1616)
    index = unseen._calendar(rng, "2015-02-02", 700, 12)
    return unseen._bars(rng, index, 120.0, 0.0001, 0.011, gap_prob=0.45, gap_scale=0.02, wave=(0.06, 30.0))


def universes() -> dict[str, dict[str, pd.DataFrame]]:
    """The 20-symbol data sets, by name; "u20" is the rotations' default data."""
    return {
        "u20": universe(15, 560, "2019-01-02"),
        "u20_crash": universe(1515, 600, "2012-06-01", crash_at=420, duplicate=(4, 11)),
        "u20_short": universe(77, 300, "2021-03-15"),
    }


def pairs_sets() -> dict[str, dict[str, pd.DataFrame]]:
    """The unseen SPX/NDX data sets, by name."""
    return {
        "pair_breaks": pair(2015, 800, "2013-01-07",
                            {250: (0.05, 0.004), 430: (0.05, 0.009), 600: (-0.03, 0.005)}),
        "pair_calm": pair(60, 820, "2005-05-02", {400: (0.0, 0.006), 650: (0.08, 0.003)}),
    }


def write_set(frames: dict[str, pd.DataFrame], folder: Path) -> dict[str, Path]:
    """Every symbol's frame as `folder/<symbol>.csv`."""
    folder.mkdir(parents=True, exist_ok=True)
    return {s: unseen.to_csv(f, folder / f"{s}.csv") for s, f in frames.items()}
