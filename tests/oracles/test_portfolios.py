"""Issue 15's multi-symbol examples against the independent oracles of `portfolios.py`.

- the oracles alone: the zscore against pandas, hand-made cases whose answer is known by hand
  (ties to the lower index, sells before buys under a cash limit, a buy cut to
  floor(cash / (P * 1.001)) and one dropped whole, the pairs state machine and its first
  trade), accounts that add up, no look-ahead, and the unseen data reaching those rules;
- `flowc run examples/<name>.flow --data SYM=CSV ... --out DIR`, both engines, against the
  oracle: every fill and order, the equity of every step and the final equity, bit for bit.
  Skipped while the example does not exist.
"""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from . import unseen, unseen_multi
from .acceptance import CASH0, floor, new_month
from .harness import ROOT, assert_same_portfolio_run, by_step_and_symbol, read_csv_rows, run_flowc, text
from .portfolios import (
    PAIR_SYMBOLS,
    ROTATION_SYMBOLS,
    Run,
    pair_state,
    pairs,
    rotation,
    rotation_cash,
    sma,
    spread,
    top_k,
    zscore,
)

EXAMPLES = {name: ROOT / "examples" / f"{name}.flow" for name in ("rotation", "rotation_cash", "pairs")}
ROTATIONS = {"rotation": rotation, "rotation_cash": rotation_cash}
UNIVERSES = tuple(unseen_multi.universes())
PAIR_SETS = ("bundled", *unseen_multi.pairs_sets())


@pytest.fixture(scope="module")
def universes() -> dict[str, dict[str, pd.DataFrame]]:
    return unseen_multi.universes()


@pytest.fixture(scope="module")
def bundled_pair() -> dict[str, pd.DataFrame]:
    root = resources.files("flowc.runtime").joinpath("sample_data")
    with resources.as_file(root.joinpath("sp500.csv")) as a, resources.as_file(root.joinpath("nasdaq.csv")) as b:
        return {"SPX": unseen.read(Path(a)), "NDX": unseen.read(Path(b))}


@pytest.fixture(scope="module")
def pair_frames(bundled_pair) -> dict[str, dict[str, pd.DataFrame]]:
    return {"bundled": bundled_pair, **unseen_multi.pairs_sets()}


def bars(dates: list[str], closes: list[float], opens: list[float] | None = None) -> pd.DataFrame:
    """A hand-made frame: high and low bracket open and close exactly."""
    opens = opens or closes
    rows = [(o, max(o, c), min(o, c), c, 1000.0) for o, c in zip(opens, closes, strict=True)]
    return pd.DataFrame(rows, index=pd.DatetimeIndex(pd.to_datetime(dates), name="timestamp"),
                        columns=["open", "high", "low", "close", "volume"])


# ---- indicators ----


def test_the_bundled_indices_have_identical_dates(bundled_pair):
    """portfolios.py decision 1: the union-of-timestamps rule is not exercised on the bundled data."""
    spx, ndx = bundled_pair["SPX"].index, bundled_pair["NDX"].index
    assert spx.equals(ndx) and len(spx) == 5031 and (spx[0], spx[-1]) == (pd.Timestamp("1999-01-04"),
                                                                          pd.Timestamp("2018-12-31"))


@pytest.mark.parametrize("name", PAIR_SETS)
def test_zscore_is_the_rolling_zscore_pandas_computes(pair_frames, name):
    _, x = spread(pair_frames[name])
    xs = pd.Series(x)
    expected = ((xs - xs.rolling(60).mean()) / xs.rolling(60).std()).to_numpy()
    ours = np.array(zscore(x, 60))
    assert np.isnan(ours[:59]).all() and not np.isnan(ours[59:]).any()
    np.testing.assert_allclose(ours[59:], expected[59:], rtol=0, atol=1e-8)


def test_sma_running_sum_and_its_restart_after_nan():
    x = [1.0, 2.0, 3.0, 4.0, math.nan, 10.0, 20.0, 30.0]
    assert text([tuple(sma(x, 3))]) == text([(math.nan, math.nan, 2.0, 3.0, math.nan, math.nan, math.nan, 20.0)])
    # the zscore is NaN where the window is flat (sd == 0) and where it is not yet full
    z = zscore([5.0, 5.0, 5.0, 6.0], 3)
    assert math.isnan(z[0]) and math.isnan(z[2]) and z[3] == (6.0 - 16.0 / 3) / np.std([5.0, 5.0, 6.0], ddof=1)


# ---- rotation by hand ----

DATES = ["2021-01-28", "2021-01-29", "2021-02-01", "2021-02-02", "2021-02-03", "2021-03-01", "2021-03-02"]


def test_top_k_breaks_ties_by_the_lower_index_and_skips_nan():
    assert top_k([0.1, 0.5, 0.1, math.nan, 0.1], 3) == [1, 0, 2]
    assert top_k([math.nan, 0.2], 2) == [1]


def test_rotation_by_hand():
    """lookback 2, top 2 of 3: on 2021-02-01 S2 (+50 %) and the tie S0/S1 (both exactly 1.1 / 1
    - 1) goes to S0; on 2021-03-01 S1 and S2 lead: S0 is sold, S1 bought, S2 resized."""
    frames = {
        "S0": bars(DATES, [100.0, 100.0, 110.0, 110.0, 110.0, 100.0, 100.0],
                   [100.0, 100.0, 110.0, 111.0, 110.0, 100.0, 99.0]),
        "S1": bars(DATES, [50.0, 50.0, 55.0, 55.0, 55.0, 80.0, 80.0], [50.0, 50.0, 55.0, 55.0, 55.0, 80.0, 81.0]),
        "S2": bars(DATES, [20.0, 20.0, 30.0, 30.0, 30.0, 33.0, 33.0], [20.0, 20.0, 30.0, 31.0, 30.0, 33.0, 32.0]),
    }
    assert 110.0 / 100.0 - 1.0 == 55.0 / 50.0 - 1.0
    r = rotation(frames, lookback=2, k=2)
    assert r.orders[:2] == [(2, "S0", 1818.0, r.orders[0][3]), (2, "S2", 6666.0, r.orders[1][3])]
    assert all(math.isnan(p) for *_, p in r.orders)
    c0 = 0.1 / 100.0 * 1818.0 * 111.0
    c2 = 0.1 / 100.0 * 6666.0 * 31.0
    assert r.fills[:2] == [(3, "S0", 1818.0, 111.0, c0), (3, "S2", 6666.0, 31.0, c2)]
    cash = CASH0 - (1818.0 * 111.0 + c0) - (6666.0 * 31.0 + c2)
    e4 = cash + 1818.0 * 110.0 + 6666.0 * 30.0
    assert r.equity[4] == e4
    s1, s2 = floor((0.2 * e4) / 80.0), floor((0.2 * e4) / 33.0)
    assert [o[:3] for o in r.orders[2:]] == [(5, "S0", -1818.0), (5, "S1", s1), (5, "S2", s2 - 6666.0)]
    assert [f[:4] for f in r.fills[2:]] == [(6, "S0", -1818.0, 99.0), (6, "S1", s1, 81.0), (6, "S2", s2 - 6666.0, 32.0)]


def test_rotation_cash_sells_first_then_cuts_and_drops_buys():
    """weight 0.6 of equity for each of the top 2 (120 %): the second buy of the first rebalance
    is cut to floor(cash / (P * 1.001)); at the second, S0's sale pays for S1 (bought first in
    symbol order but filled after the sale), and what is left buys not one unit of S2's top-up
    at its open of 100: dropped whole."""
    frames = {
        "S0": bars(DATES, [100.0, 100.0, 110.0, 110.0, 110.0, 100.0, 100.0],
                   [100.0, 100.0, 110.0, 100.0, 110.0, 100.0, 100.0]),
        "S1": bars(DATES, [50.0, 50.0, 55.0, 55.0, 55.0, 80.0, 80.0]),
        "S2": bars(DATES, [20.0, 20.0, 30.0, 30.0, 30.0, 33.0, 33.0], [20.0, 20.0, 30.0, 30.0, 30.0, 33.0, 100.0]),
    }
    r = rotation_cash(frames, lookback=2, k=2, weight=0.6)
    assert [o[:3] for o in r.orders[:2]] == [(2, "S0", 5454.0), (2, "S2", 20000.0)]
    cash = CASH0 - (5454.0 * 100.0 + 0.1 / 100.0 * 5454.0 * 100.0)
    assert cash == 454054.6 and floor(cash / (30.0 * 1.001)) == 15120.0
    assert [f[:4] for f in r.fills[:2]] == [(3, "S0", 5454.0, 100.0), (3, "S2", 15120.0, 30.0)]
    assert r.dropped[0] == (3, "S2", 4880.0)
    cash = cash - (15120.0 * 30.0 + 0.1 / 100.0 * 15120.0 * 30.0)
    assert r.cash[4] == cash and 0 < cash < 33.0 * 1.001  # nothing more could be bought
    # the second rebalance: orders against the positions, the sale first at the open
    e4 = r.equity[4]
    s1 = floor((0.6 * e4) / 80.0)
    s2 = floor((0.6 * e4) / 33.0) - 15120.0
    assert [o[:3] for o in r.orders[2:]] == [(5, "S0", -5454.0), (5, "S1", s1), (5, "S2", s2)]
    assert s2 > 0
    sold = cash - (-5454.0 * 100.0 + 0.1 / 100.0 * 5454.0 * 100.0)
    bought = floor(sold / (80.0 * 1.001))
    assert 0 < bought < s1
    assert [f[:4] for f in r.fills[2:]] == [(6, "S0", -5454.0, 100.0), (6, "S1", bought, 80.0)]
    left = sold - (bought * 80.0 + 0.1 / 100.0 * bought * 80.0)
    assert r.cash[6] == left and floor(left / (100.0 * 1.001)) == 0.0  # S2 opens at 100: not one unit
    assert r.dropped[1:] == [(6, "S1", s1 - bought), (6, "S2", s2)]
    # without the sale first, S1 would have had nothing: the cash before it buys less than a unit
    assert floor(cash / (80.0 * 1.001)) == 0.0


def test_rotation_needs_identical_timestamps():
    a = bars(DATES, [1.0] * 7)
    with pytest.raises(ValueError):
        rotation({"S0": a, "S1": a.iloc[1:]})


# ---- pairs by hand ----


def test_pair_state_machine_by_hand():
    z = [math.nan, 0.5, -2.5, -1.0, 0.0, 2.0, 2.0000001, 1.0, -2.1, 3.0, -0.1, math.nan, 0.0, -2.0, 0.1]
    expected = [0, 0, 1, 1, 0, 0, -1, -1, 1, -1, 0, 0, 0, 0, 0]
    assert pair_state(z) == [float(v) for v in expected]
    # -1 stays -1 while z > 0, leaves exactly at 0; NaN keeps the state
    assert pair_state([2.5, 0.01, math.nan, 0.0]) == [-1.0, -1.0, -1.0, 0.0]


def test_pairs_first_trade_by_hand():
    """NDX flat at 100, SPX at 100 for 9 bars then 100 / e for one: with n = 10 the spread's z is
    -0.9 / sqrt(0.1) < -2, so the state is +1 at bar 9: long floor(500000 / close) SPX, short
    5000 NDX, filled at bar 10's open; SPX back at 100 at bar 10 sets the state to 0: both
    closed at bar 11's open."""
    dates = [f"2022-03-{d:02d}" for d in (1, 2, 3, 4, 7, 8, 9, 10, 11, 14, 15, 16)]
    low = round(100.0 / math.e, 2)
    spx = [100.0] * 9 + [low, 100.0, 100.0]
    frames = {"SPX": bars(dates, spx, [100.0] * 10 + [99.0, 101.0]), "NDX": bars(dates, [100.0] * 12)}
    r = pairs(frames, n=10)
    q = floor((0.5 * CASH0) / low)
    assert [o[:3] for o in r.orders] == [(9, "SPX", q), (9, "NDX", -5000.0), (10, "SPX", -q), (10, "NDX", 5000.0)]
    assert [f[:4] for f in r.fills] == [(10, "SPX", q, 99.0), (10, "NDX", -5000.0, 100.0),
                                        (11, "SPX", -q, 101.0), (11, "NDX", 5000.0, 100.0)]


def test_pairs_with_a_missing_bar_restarts_the_zscore():
    """Decision 1: the steps are the union; a step where NDX has no bar has no spread, and the
    window needs n defined spreads again; NDX's order waits for its next bar."""
    dates = [f"2022-03-{d:02d}" for d in (1, 2, 3, 4, 7, 8, 9, 10, 11, 14, 15, 16)]
    low = round(100.0 / math.e, 2)
    frames = {"SPX": bars(dates, [100.0] * 9 + [low, 100.0, 100.0]), "NDX": bars(dates, [100.0] * 12).drop(dates[3])}
    _, x = spread(frames)
    assert math.isnan(x[3]) and all(math.isnan(v) for v in zscore(x, 10))
    assert pairs(frames, n=10).orders == []
    frames["NDX"] = bars(dates, [100.0] * 12).drop(dates[10])
    r = pairs(frames, n=10)
    assert [f[:2] for f in r.fills] == [(10, "SPX"), (11, "NDX")]


# ---- the oracles on every data set ----


def _all_runs(universes, pair_frames):
    for name, frames in universes.items():
        for oracle in (rotation, rotation_cash):
            yield name, frames, oracle(frames)
    for name, frames in pair_frames.items():
        yield name, frames, pairs(frames)


def test_accounts_add_up(universes, pair_frames):
    """Final equity is cash0 minus every fill's cost plus the positions at the last closes; the
    positions are the fills summed."""
    for name, frames, r in _all_runs(universes, pair_frames):
        cash = CASH0 - sum(q * p + c for _, _, q, p, c in r.fills)
        assert r.cash[-1] == pytest.approx(cash, rel=1e-12, abs=1e-6), name
        value = sum(sum(q for _, s2, q, _, _ in r.fills if s2 == s) * frames[s]["close"].iloc[-1] for s in r.symbols)
        assert r.final_equity == pytest.approx(cash + value, rel=1e-9), name
        for _, _, q, p, c in r.fills:
            assert c == 0.1 / 100.0 * abs(q) * p


def test_rotation_orders_only_on_month_starts_after_the_warm_up(universes):
    for name, frames in universes.items():
        index = frames["S0"].index
        starts = new_month(index)
        for oracle in (rotation, rotation_cash):
            r = oracle(frames)
            assert r.orders and all(starts[t] and t >= 252 for t, *_ in r.orders), name
            # every market order fills (or is cut) at the next open
            opens = {s: f["open"].tolist() for s, f in frames.items()}
            assert all(p == opens[s][t] for t, s, _, p, _ in r.fills)
            assert {(t, s) for t, s, *_ in r.fills} <= {(t + 1, s) for t, s, *_ in r.orders}


def test_rotation_holds_the_top_five(universes):
    """After each rebalance of `rotation`, the book is long exactly the 5 best momentums."""
    frames = universes["u20"]
    r = rotation(frames)
    closes = {s: f["close"].tolist() for s, f in frames.items()}
    book = dict.fromkeys(ROTATION_SYMBOLS, 0.0)
    for t in sorted({t for t, *_ in r.orders}):
        for t2, s, q, _ in r.orders:
            if t2 == t:
                book[s] += q
        mom = [closes[s][t] / closes[s][t - 252] - 1.0 for s in ROTATION_SYMBOLS]
        best = sorted(range(20), key=lambda i: (-mom[i], i))[:5]
        assert {s for s, v in book.items() if v > 0} == {f"S{i}" for i in best}
        assert all(v >= 0 for v in book.values())


def test_the_oracles_do_not_look_ahead(universes, pair_frames):
    for frames, oracle, cuts in ((universes["u20_crash"], rotation_cash, (300, 421, 500)),
                                 (pair_frames["pair_breaks"], pairs, (100, 430, 700))):
        full = oracle(frames)
        for k in cuts:
            cut = oracle({s: f.iloc[: k + 1] for s, f in frames.items()})
            assert text(cut.orders) == text([x for x in full.orders if x[0] <= k])
            assert text(cut.fills) == text([x for x in full.fills if x[0] <= k])
            assert text([tuple(cut.equity)]) == text([tuple(full.equity[: k + 1])])


def test_unseen_data_reach_every_rule(universes, pair_frames):
    """A tie at the top-5 boundary (S11 is S4's copy), buys cut and buys dropped whole, sales
    paying for buys at the same open, and pairs long and short, entered and left."""
    crash = universes["u20_crash"]
    r = rotation(crash)
    t, s, _, _ = next(o for o in r.orders if o[1] in ("S4", "S11"))
    closes = {k: f["close"].tolist() for k, f in crash.items()}
    mom = [closes[f"S{i}"][t] / closes[f"S{i}"][t - 252] - 1.0 for i in range(20)]
    assert s == "S4" and mom[4] == mom[11] and sorted(mom, reverse=True)[4] == mom[4]
    cut = whole = sold_then_bought = 0
    for frames in universes.values():
        rc = rotation_cash(frames)
        sent = {(t, s): q for t, s, q, _ in rc.orders}
        for t, s, q in rc.dropped:
            if sent[(t - 1, s)] == q:
                whole += 1
            else:
                cut += 1
        steps = {t for t, *_ in rc.fills}
        sold_then_bought += sum(1 for t in steps if any(f[0] == t and f[2] < 0 for f in rc.fills)
                                and any(f[0] == t and f[2] > 0 for f in rc.fills))
    assert cut and whole and sold_then_bought
    for name in PAIR_SETS[1:]:
        r = pairs(pair_frames[name])
        spx = [q for _, s, q, _ in r.orders if s == "SPX"]
        assert any(q > 0 for q in spx) and any(q < 0 for q in spx), name
        _, x = spread(pair_frames[name])
        assert {-1.0, 0.0, 1.0} <= set(pair_state(zscore(x, 60))), name


def test_oracle_numbers(universes, pair_frames):
    """The numbers reported with these oracles, pinned so a change cannot pass unseen."""
    got = {name: (repr(r.final_equity), len(r.fills), len(r.orders))
           for name, r in [(f"rotation/{n}", rotation(f)) for n, f in universes.items()]
           + [(f"rotation_cash/{n}", rotation_cash(f)) for n, f in universes.items()]
           + [(f"pairs/{n}", pairs(f)) for n, f in pair_frames.items()]}
    assert got == PINNED


PINNED: dict[str, tuple[str, int, int]] = {  # (final equity, fills, orders)
    "rotation/u20": ("1545978.60495", 92, 92),
    "rotation/u20_crash": ("870381.3451", 90, 90),
    "rotation/u20_short": ("997861.7796199999", 11, 11),
    "rotation_cash/u20": ("1530445.3245900003", 78, 92),
    "rotation_cash/u20_crash": ("901352.0580899998", 76, 91),
    "rotation_cash/u20_short": ("991115.5517500001", 6, 10),
    "pairs/bundled": ("538373.032800924", 270, 270),
    "pairs/pair_breaks": ("1034785.9245399993", 50, 50),
    "pairs/pair_calm": ("1153958.2606200008", 68, 68),
}


def test_unseen_csv_files_read_back_exactly(tmp_path, universes, pair_frames):
    for name, frames in {**universes, **{k: v for k, v in pair_frames.items() if k != "bundled"}}.items():
        files = unseen_multi.write_set(frames, tmp_path / name)
        for s, f in frames.items():
            read = unseen.read(files[s])
            pd.testing.assert_frame_equal(read, f.astype(float), check_exact=True, check_freq=False)
            assert (read["high"] >= read[["open", "close"]].max(axis=1)).all()
            assert (read["low"] <= read[["open", "close"]].min(axis=1)).all() and (read["low"] > 0).all()
        assert all(f.index.equals(frames[next(iter(frames))].index) for f in frames.values())


# ---- flowc against the oracles ----


def _skip(name: str):
    flow = EXAMPLES[name]
    return pytest.mark.skipif(not flow.exists(), reason=f"examples/{flow.name} does not exist yet")


@pytest.mark.parametrize("engine", ("reference", "compiled"))
@pytest.mark.parametrize("data", UNIVERSES)
@pytest.mark.parametrize("example", [pytest.param(n, marks=_skip(n)) for n in ROTATIONS])
def test_rotation_example_matches_the_oracle(example, data, engine, universes, tmp_path):
    frames = universes[data]
    files = unseen_multi.write_set(frames, tmp_path / "data")
    out = run_flowc(EXAMPLES[example], tmp_path / "out", {s: files[s] for s in ROTATION_SYMBOLS}, engine)
    expected = ROTATIONS[example](frames)
    assert_same_portfolio_run(out, expected, expected.index, check_unfilled=example == "rotation")


@pytest.mark.parametrize("engine", ("reference", "compiled"))
@pytest.mark.parametrize("data", PAIR_SETS)
@pytest.mark.parametrize("example", [pytest.param("pairs", marks=_skip("pairs"))])
def test_pairs_example_matches_the_oracle(example, data, engine, pair_frames, tmp_path):
    frames = pair_frames[data]
    # the bundled sample is what the example reads by itself; the others replace it with --data
    files = None if data == "bundled" else unseen_multi.write_set(frames, tmp_path / "data")
    out = run_flowc(EXAMPLES[example], tmp_path / "out", files and {s: files[s] for s in PAIR_SYMBOLS}, engine)
    expected = pairs(frames)
    assert_same_portfolio_run(out, expected, expected.index, check_unfilled=True)


def test_the_harness_reads_a_two_symbol_run(pair_frames, tmp_path):
    """`run_flowc` with two `--data` files and the readers above, checked today on the existing
    `two_indices` example (no oracle of its own): the fills replay to its equity."""
    frames = pair_frames["pair_breaks"]
    files = unseen_multi.write_set(frames, tmp_path / "data")
    out = run_flowc(ROOT / "examples" / "two_indices.flow", tmp_path / "out", files, "reference")
    fills = read_csv_rows(out / "fills.csv", ("quantity", "price", "commission"))
    assert fills and {s for _, s, *_ in fills} == set(PAIR_SYMBOLS)
    assert by_step_and_symbol(fills, PAIR_SYMBOLS) == fills  # flowc records by step, then symbol
    cash = CASH0
    for _, _, q, p, c in fills:
        cash = cash - (q * p + c)
    value = sum(sum(q for _, s2, q, _, _ in fills if s2 == s) * frames[s]["close"].iloc[-1] for s in PAIR_SYMBOLS)
    equity = pd.read_csv(out / "equity.csv", index_col=0, dtype={"equity": str})
    assert len(equity) == len(frames["SPX"]) and float(equity["equity"].iloc[-1]) == pytest.approx(cash + value)
    # the comparison itself, on a Run rebuilt from this output: it must accept it as is
    run = Run(PAIR_SYMBOLS, frames["SPX"].index, fills=fills,
              orders=read_csv_rows(out / "orders.csv", ("quantity", "price")),
              equity=[float(v) for v in equity["equity"]])
    assert_same_portfolio_run(out, run, run.index, check_unfilled=False)
    run.equity[-1] = math.nextafter(run.equity[-1], math.inf)
    with pytest.raises(AssertionError):
        assert_same_portfolio_run(out, run, run.index, check_unfilled=False)
