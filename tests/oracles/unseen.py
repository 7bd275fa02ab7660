"""Daily OHLCV data the acceptance examples were not written against, made deterministically.

Why it exists: issue 14 asks that the examples match the independent check "on data you have
not seen". These frames are seeded random walks, not market history, built to reach the rules
the S&P 500 sample never reaches: the bundled data never opens through an ATR stop and never
flips direction on a stop-out bar, so the frames add

- fat tails (Student-t returns, 3 degrees of freedom) and overnight gaps, often large, so bars
  open through a stop level (long and short) and stops fire on the entry's own fill bar;
- a crash (a gap down then days of losses) inside a calm uptrend, where volatility targeting
  cuts its position and an RSI long is stopped out;
- a fast oscillation, so the RSI crosses 30 and 70 often: reversals, latched stop-outs and
  re-entries;
- business days only, with a few weekdays dropped as holidays, over a few months to a few
  years (one frame is shorter than four months: warm-up and last-bar edges).

Prices are written with two decimals (as exchanges quote them), so the CSV text parses to the
same doubles under any float parser; high and low always bracket open and close.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HEADER = "timestamp,open,high,low,close,volume"


def _calendar(rng: np.random.Generator, start: str, days: int, holidays: int) -> pd.DatetimeIndex:
    """`days` business days from `start`, minus `holidays` of them picked at random (never the first)."""
    days_ = pd.bdate_range(start, periods=days + holidays)
    drop = rng.choice(np.arange(1, len(days_)), size=holidays, replace=False)
    return days_.delete(np.sort(drop))


def _bars(rng: np.random.Generator, index: pd.DatetimeIndex, start_price: float, drift: float, vol: float,
          gap_prob: float, gap_scale: float, wave: tuple[float, float] = (0.0, 1.0),
          shocks: dict[int, float] | None = None) -> pd.DataFrame:
    """OHLCV on `index`: a log random walk with Student-t(3) steps (clipped at +/-8 vol), an
    overnight gap with probability `gap_prob` (t(3) times `gap_scale`), an optional sine wave
    in the log price (amplitude, period in bars), and `shocks` {bar: log return} added at the
    open of that bar (a crash is a few of them)."""
    n = len(index)
    amplitude, period = wave
    steps = np.clip(rng.standard_t(3, n), -8, 8) * vol / np.sqrt(3.0) + drift
    gaps = np.where(rng.random(n) < gap_prob, np.clip(rng.standard_t(3, n), -6, 6) * gap_scale, 0.0)
    wave_ = amplitude * np.sin(2 * np.pi * np.arange(n) / period)
    rows, level, prev_close = [], np.log(start_price), start_price
    for t in range(n):
        gap = gaps[t] + (shocks or {}).get(t, 0.0) + (wave_[t] - wave_[t - 1] if t else 0.0) / 2
        o = prev_close * np.exp(gap)
        level = np.log(o) + steps[t] + (wave_[t] - wave_[t - 1] if t else 0.0) / 2
        c = np.exp(level)
        o, c = round(float(o), 2), round(float(c), 2)
        wick_up, wick_down = np.abs(rng.normal(0.0, vol / 2, 2))
        h = round(float(max(o, c) * np.exp(wick_up)), 2)
        lo = round(float(min(o, c) * np.exp(-wick_down)), 2)
        volume = int(rng.integers(1_000_000, 5_000_000))
        rows.append((o, h, lo, c, volume))
        prev_close = c
    return pd.DataFrame(rows, index=pd.DatetimeIndex(index, name="timestamp"),
                        columns=["open", "high", "low", "close", "volume"])


def whipsaw() -> pd.DataFrame:
    """A handcrafted series (no randomness) that walks `rsi_latch_atr` through every exit rule.

    Bars 0-19 fall by 1 (h - l = 2, so the ATR is exactly 2 and the RSI 0): long at bar 14,
    `floor((0.01 * 1e6) / (2 * 2)) = 2500` units, stop `186 - 2 * 2 = 182`, hit by bar 18's low;
    the direction stays +1, so the latch keeps the book flat. Bars 20-36 rally by 1 until the
    RSI passes 70 (bar 36): a short. Bar 37 opens at the short's entry fill, spikes 10 up
    through its stop (exit at the stop, on the entry's own fill bar) and closes 40 down: the RSI
    drops below 30, so the direction flips on the stop-out bar; bar 38 closes 120 up, the RSI is
    back above 70, and the short re-enters with its old size (a new size would be about five
    times smaller: the ATR has grown). Five quiet bars later the open gaps 40 up, through the
    new short's stop: exit at that open. The last bar, 2022-04-01, starts a month: vol_target's
    order sent there has no next bar and never fills.
    """
    closes = [200.0 - k for k in range(20)] + [180.0 + k for k in range(1, 18)]
    rows, prev = [], 200.5

    def bar(o: float, c: float, up: float = 0.5, down: float = 0.5) -> None:
        rows.append((o, max(o, c) + up, min(o, c) - down, c, 1_000_000))

    for c in closes:
        bar(prev, c)
        prev = c
    bar(prev, prev - 40.0, up=10.0)  # spike through the short's stop, close far down
    prev -= 40.0
    bar(prev, prev + 120.0)
    prev += 120.0
    for k in range(26):  # to 2022-04-01, a month start: vol_target sends an order on the last bar
        o = prev + (40.0 if k == 5 else 0.0)  # the gap up through the stop
        prev = o + (0.5 if k % 2 else -0.5)
        bar(o, prev)
    index = pd.bdate_range("2022-01-03", periods=len(rows), name="timestamp")
    return pd.DataFrame(rows, index=index, columns=["open", "high", "low", "close", "volume"])


def frames() -> dict[str, pd.DataFrame]:
    """The unseen data sets, by name; the same frames on every call."""
    out = {}
    rng = np.random.default_rng(20261202)
    out["fat_tails"] = _bars(rng, _calendar(rng, "2011-03-07", 780, 24), 85.0, 0.0003, 0.016,
                             gap_prob=0.25, gap_scale=0.012)
    rng = np.random.default_rng(7)
    index = _calendar(rng, "2020-06-15", 520, 16)
    crash = {300: -0.11, 301: -0.045, 302: -0.06, 303: 0.03, 304: -0.05, 306: -0.04}
    out["crash"] = _bars(rng, index, 2400.0, 0.0006, 0.008, gap_prob=0.1, gap_scale=0.006, shocks=crash)
    rng = np.random.default_rng(314159)
    out["choppy"] = _bars(rng, _calendar(rng, "2016-01-04", 400, 12), 40.0, 0.0, 0.012,
                          gap_prob=0.35, gap_scale=0.015, wave=(0.09, 23.0))
    rng = np.random.default_rng(99)
    out["few_months"] = _bars(rng, _calendar(rng, "2023-10-16", 78, 3), 310.0, -0.0002, 0.02,
                              gap_prob=0.3, gap_scale=0.02, wave=(0.05, 17.0))
    out["whipsaw"] = whipsaw()
    return out


def to_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write `frame` in the format of flowc's sample data: `timestamp,open,high,low,close,volume`,
    dates as YYYY-MM-DD, prices with two decimals."""
    lines = [HEADER] + [f"{t:%Y-%m-%d},{o:.2f},{h:.2f},{lo:.2f},{c:.2f},{v:d}"
                        for t, (o, h, lo, c, v) in zip(frame.index, frame.itertuples(index=False), strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read(path: Path) -> pd.DataFrame:
    """A data CSV as the oracles take it: the OHLCV columns as doubles, a DatetimeIndex."""
    frame = pd.read_csv(path, index_col=0)
    frame.index = pd.DatetimeIndex(pd.to_datetime(frame.index), name="timestamp")
    return frame[["open", "high", "low", "close", "volume"]].astype(float)


def write_all(folder: Path) -> dict[str, Path]:
    """Every unseen frame as `folder/<name>.csv`."""
    folder.mkdir(parents=True, exist_ok=True)
    return {name: to_csv(frame, folder / f"{name}.csv") for name, frame in frames().items()}
