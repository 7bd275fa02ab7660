"""Issue 16's `limit_entry` against the independent oracle of `orders.py`.

- the oracle alone: its average against pandas, a hand-made series (a 2-bar average, so the
  direction is "the close rose") walking through a fill at the open through a gap, a fill at
  the limit, a cancellation by the opposite market order, a limit filled on the bar the
  direction turns (sold at the next open), a re-entry on the sale's bar, and what is left
  working at the end; accounts that add up; no look-ahead; the unseen data reaching each rule;
- `flowc run examples/limit_entry.flow [--data SPX=CSV] --out DIR`, both engines: every fill and
  order, the equity of every step and the final equity, bit for bit. Skipped while the example
  does not exist.
"""

from __future__ import annotations

import csv
import json
import math
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from . import unseen, unseen_multi
from .acceptance import CASH0
from .harness import ROOT, read_csv_rows, run_flowc, text
from .orders import LimitRun, limit_entry, signal
from .portfolios import sma

EXAMPLE = ROOT / "examples" / "limit_entry.flow"


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    with resources.as_file(resources.files("flowc.runtime").joinpath("sample_data", "sp500.csv")) as sample:
        sp500 = unseen.read(Path(sample))
    return {"sp500": sp500, "limit_gaps": unseen_multi.limit_gaps(), **unseen.frames()}


DATASETS = ("sp500", "limit_gaps", *unseen.frames())


@pytest.mark.parametrize("name", DATASETS)
def test_sma_is_the_rolling_mean(frames, name):
    close = frames[name]["close"]
    ours = np.array(sma(close.tolist(), 50))
    assert np.isnan(ours[:49]).all() and not np.isnan(ours[49:]).any()
    np.testing.assert_allclose(ours[49:], close.rolling(50).mean().to_numpy()[49:], rtol=1e-12, atol=0)
    assert signal(close.tolist())[:49] == [0.0] * 49


def hand_made() -> pd.DataFrame:
    """13 bars; with a 2-bar average the direction is 1 exactly where the close rose."""
    rows = [  # open, low, close
        (100.0, 100.0, 100.0),  # 0: average undefined: 0
        (100.0, 99.5, 101.0),  # 1: up: limit buy at 0.99 * 101
        (99.0, 98.5, 102.0),  # 2: opens below the limit: filled at the open
        (102.0, 101.0, 101.5),  # 3: down: sell 100 (the limit filled): pending
        (101.0, 100.5, 103.0),  # 4: the sale at the open; up: a new limit at 0.99 * 103
        (103.0, 101.5, 104.0),  # 5: opens above it, the low reaches it: filled at the limit
        (104.0, 103.5, 103.0),  # 6: down: sell 100, pending
        (102.5, 102.0, 105.0),  # 7: the sale at the open; up: limit at 0.99 * 105
        (105.0, 104.5, 105.0),  # 8: not reached; not up: the sell meets a working limit: cancelled
        (105.0, 104.0, 106.0),  # 9: up: limit at 0.99 * 106
        (106.0, 104.5, 104.8),  # 10: the low reaches it: filled; down on the same bar: sell, pending
        (104.0, 103.5, 107.0),  # 11: the sale at the open; up: limit at 0.99 * 107
        (107.0, 106.5, 106.0),  # 12: not reached; down: cancelled on the last bar
    ]
    index = pd.bdate_range("2024-01-01", periods=len(rows), name="timestamp")
    return pd.DataFrame([(o, max(o, c) + 0.5, lo, c, 1000.0) for o, lo, c in rows], index=index,
                        columns=["open", "high", "low", "close", "volume"])


def test_limit_entry_by_hand():
    df = hand_made()
    r = limit_entry(df, n=2)
    nan = math.nan
    assert text(r.orders) == text([
        (1, 100.0, 0.99 * 101.0), (3, -100.0, nan), (4, 100.0, 0.99 * 103.0), (6, -100.0, nan),
        (7, 100.0, 0.99 * 105.0), (8, -100.0, nan), (9, 100.0, 0.99 * 106.0), (10, -100.0, nan),
        (11, 100.0, 0.99 * 107.0), (12, -100.0, nan)])
    fills = [(2, 100.0, 99.0), (4, -100.0, 101.0), (5, 100.0, 0.99 * 103.0), (7, -100.0, 102.5),
             (10, 100.0, 0.99 * 106.0), (11, -100.0, 104.0)]
    assert [f[:3] for f in r.fills] == fills
    assert r.cancelled == [(8, 7), (12, 11)] and not r.working and not r.pending_sell
    cash = CASH0
    for k, (_, q, p) in enumerate(fills):
        cash = cash - (q * p + 0.1 / 100.0 * abs(q) * p)
        if k == 4:  # long 100 at the end of bar 10
            assert r.equity[10] == cash + 100.0 * 104.8
    assert r.final_equity == cash
    # cut before the last sale fills: the sell sent at bar 10 is left pending, never filled
    cut = limit_entry(df.iloc[:11], n=2)
    assert cut.pending_sell and cut.fills == r.fills[:5] and cut.final_equity == cut.equity[-1]
    # cut after bar 11: the limit sent there is still working
    assert limit_entry(df.iloc[:12], n=2).working


def test_a_limit_is_never_checked_on_its_own_bar():
    """Bar 1 sends the limit at its close; bar 1's own low (99.5 <= 99.99) does not fill it."""
    df = hand_made()
    assert df["low"].iloc[1] <= 0.99 * df["close"].iloc[1]
    assert limit_entry(df, n=2).fills[0][0] == 2


def test_accounts_add_up(frames):
    for name, df in frames.items():
        r = limit_entry(df)
        cash = CASH0 - sum(q * p + c for _, q, p, c in r.fills)
        position = sum(q for _, q, _, _ in r.fills)
        assert position in (0.0, 100.0), name
        assert r.final_equity == pytest.approx(cash + position * df["close"].iloc[-1], rel=1e-12), name
        for _, q, p, c in r.fills:
            assert c == 0.1 / 100.0 * abs(q) * p
        # buys fill at the open or at their limit, never above the limit; sells at the next open
        limits = [(t, p) for t, q, p in r.orders if q > 0]
        opens, lows = df["open"].tolist(), df["low"].tolist()
        for t, q, p, _ in r.fills:
            if q > 0:
                _, limit = max((x for x in limits if x[0] < t), key=lambda x: x[0])
                assert p == (opens[t] if opens[t] <= limit else limit) and lows[t] <= limit, name
            else:
                assert p == opens[t] and any(s == t - 1 and q2 < 0 for s, q2, _ in r.orders), name


def test_the_oracle_does_not_look_ahead(frames):
    df = frames["limit_gaps"]
    full = limit_entry(df)
    for k in (60, 333, 500, 650):
        cut = limit_entry(df.iloc[: k + 1])
        assert text(cut.orders) == text([x for x in full.orders if x[0] <= k])
        assert text(cut.fills) == text([x for x in full.fills if x[0] <= k])
        assert text([tuple(cut.equity)]) == text([tuple(full.equity[: k + 1])])


def test_unseen_data_reach_every_rule(frames):
    """Across the unseen sets: fills at the open through a gap and at the limit, cancellations,
    a limit filled on the bar the direction turns, a re-entry on the sale's bar, and a limit
    still working at the end."""
    seen = dict.fromkeys(("open", "limit", "cancel", "fill_on_exit_bar", "reentry", "working"), 0)
    for name, df in frames.items():
        if name == "sp500":
            continue
        r = limit_entry(df)
        opens = df["open"].tolist()
        sells = {t for t, q, _ in r.orders if q < 0}
        buys_sent = {t for t, q, _ in r.orders if q > 0}
        for t, q, p, _ in r.fills:
            if q > 0:
                seen["open" if p == opens[t] else "limit"] += 1
                seen["fill_on_exit_bar"] += t in sells
            else:
                seen["reentry"] += t in buys_sent
        seen["cancel"] += len(r.cancelled)
        seen["working"] += r.working
    assert all(seen.values()), seen


def test_oracle_numbers(frames):
    """The numbers reported with this oracle, pinned so a change cannot pass unseen."""
    got = {name: (repr(r.final_equity), len(r.fills), len(r.orders), len(r.cancelled))
           for name, r in ((n, limit_entry(df)) for n, df in frames.items())}
    assert got == PINNED


PINNED: dict[str, tuple[str, int, int, int]] = {  # (final equity, fills, orders, cancelled)
    "sp500": ("937698.8117383142", 184, 364, 90),
    "limit_gaps": ("996238.4384599996", 28, 38, 5),
    "fat_tails": ("998613.4622199999", 29, 41, 6),
    "crash": ("993316.3412000001", 14, 37, 11),
    "choppy": ("999268.50578", 32, 37, 2),
    "few_months": ("1000000.0", 0, 1, 0),
    "whipsaw": ("1000000.0", 0, 1, 0),
}


def test_limit_gaps_csv_reads_back_exactly(tmp_path):
    df = unseen_multi.limit_gaps()
    read = unseen.read(unseen.to_csv(df, tmp_path / "SPX.csv"))
    pd.testing.assert_frame_equal(read, df.astype(float), check_exact=True, check_freq=False)
    assert (read["high"] >= read[["open", "close"]].max(axis=1)).all()
    assert (read["low"] <= read[["open", "close"]].min(axis=1)).all() and (read["low"] > 0).all()


# ---- flowc against the oracle ----


def assert_same_limit_run(out: Path, expected: LimitRun, df: pd.DataFrame) -> None:
    """Decision 1 of orders.py: orders.csv lists the limit buys with their limit price and every
    market sell, cancelling ones included."""
    fills = read_csv_rows(out / "fills.csv", ("quantity", "price", "commission"), symbol=False)
    orders = read_csv_rows(out / "orders.csv", ("quantity", "price"), symbol=False)
    with open(out / "orders.csv", newline="", encoding="utf-8") as f:
        status = [row["status"] for row in csv.DictReader(f)]
    cancelled = [o for o, st in zip(orders, status, strict=True) if st == "cancelled"]
    assert [t for t, *_ in cancelled] == [sell for sell, _ in expected.cancelled]
    orders = [o for o, st in zip(orders, status, strict=True) if st == "sent"]
    with open(out / "fills.csv", newline="", encoding="utf-8") as f:
        stamps = [(row["timestamp"], row["symbol"]) for row in csv.DictReader(f)]
    assert stamps == [(f"{df.index[t]:%Y-%m-%d}", "SPX") for t, *_ in expected.fills]
    assert text(fills) == text(expected.fills)
    assert text(orders) == text(expected.orders)
    equity = pd.read_csv(out / "equity.csv", index_col=0, dtype={"equity": str})
    assert list(equity["equity"]) == [repr(e) for e in expected.equity]
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert repr(metrics["final_equity"]) == repr(expected.final_equity)


@pytest.mark.skipif(not EXAMPLE.exists(), reason="examples/limit_entry.flow does not exist yet")
@pytest.mark.parametrize("engine", ("reference", "compiled"))
@pytest.mark.parametrize("data", DATASETS)
def test_limit_entry_example_matches_the_oracle(data, engine, frames, tmp_path):
    df = frames[data]
    # the bundled sample is what the example reads by itself; the others replace it with --data
    files = None if data == "sp500" else {"SPX": unseen.to_csv(df, tmp_path / "SPX.csv")}
    out = run_flowc(EXAMPLE, tmp_path / "out", files, engine)
    assert_same_limit_run(out, limit_entry(df), df)
