"""Timeframes (docs/semantics.md, section 4a) against an independent pandas implementation of the definition.

Coarse bars are grouped here with pandas' own calendar (`to_period`, `floor`) and aggregated with
`groupby` (first open, largest high, smallest low, last close, summed volume); a calendar bar is
seen at the first bar of the next period, an `every(n)` bar at its n-th bar; between, a container's
values are those of the latest coarse bar seen. Both engines, daily and minute data with gaps.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flowc.tools.api import backtest

KINDS = {"every3": "every(3)", "minutes15": "minutes(15)", "hourly": "hourly()", "daily": "daily()",
         "weekly": "weekly()", "monthly": "monthly()"}
FIELDS = ("open", "high", "low", "close", "volume")


def _flow(kinds: list[str]) -> str:
    coarse = "\n".join(
        f"        {k}: feature {{ timeframe = {KINDS[k]}; "
        + "; ".join(f"{k}_{f} = {f}" for f in FIELDS) + f"; {k}_lag = shift(close, 1) }}" for k in kinds)
    reads = " + ".join(f"where({k}_close == {k}_close, 0, 0) + where({k}_lag == {k}_lag, 0, 0) + "
                       f"where({k}_open + {k}_high + {k}_low + {k}_volume == 0, 0, 0)" for k in kinds)
    return f"""
containers c {{ backtest: backtest {{
    data: data {{ source = sample("sp500", symbol = "SPX") }}
{coarse}
    strategy: strategy {{ signal = close > open + {reads} }}
    risk: risk {{ size = fixed(1) }}
    execution: execution {{ fill = next_open() }}
    portfolio: portfolio {{ cash = 1_000_000 }}
}} }}
communication w {{
    route {", ".join(kinds)} -> strategy : FEATURE
    broadcast data -> {", ".join(kinds)}, strategy, risk, execution, portfolio : BAR
    route strategy -> risk : SIGNAL
    route risk -> execution : ORDER
    route execution -> portfolio : FILL
}}
workflow w {{ containers = c; communication = w }}
"""


def _groups(stamps: pd.DatetimeIndex, kind: str) -> np.ndarray:
    """Each bar's coarse bar, numbered in order, by pandas' calendar."""
    if kind == "every3":
        return np.arange(len(stamps)) // 3
    period = {"minutes15": stamps.floor("15min"), "hourly": stamps.floor("h"), "daily": stamps.floor("D"),
              "weekly": stamps.to_period("W-SUN").start_time, "monthly": stamps.to_period("M").start_time}[kind]
    return pd.factorize(np.asarray(period))[0]


def expected(bars: pd.DataFrame, kind: str) -> pd.DataFrame:
    """At each bar, the latest coarse bar seen (NaN before the first) and its previous coarse close."""
    groups = _groups(pd.DatetimeIndex(bars.index), kind)
    g = bars.groupby(groups)
    coarse = pd.DataFrame({"open": g["open"].first(), "high": g["high"].max(), "low": g["low"].min(),
                           "close": g["close"].last(), "volume": g["volume"].sum()})
    coarse["lag"] = coarse["close"].shift(1)
    last = g.size().cumsum() - 1  # the last bar of each group
    # a calendar bar is seen at the first bar of the next period (the last is never seen); `every(3)` at its third
    seen_at = (last + 1).iloc[:-1] if kind != "every3" else last[g.size() == 3]
    out = pd.DataFrame(np.nan, index=range(len(bars)), columns=[*FIELDS, "lag"])
    for k, at in seen_at.items():
        out.iloc[at] = coarse.loc[k].to_numpy()
    return out.ffill()


def _minute_bars(seed: int) -> pd.DataFrame:
    """Three sessions of minute bars with random gaps, stamped in UTC; whole-number volumes."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2024-03-28", periods=3)
    stamps = pd.DatetimeIndex([d + pd.Timedelta(hours=13, minutes=30 + m) for d in days for m in range(390)])
    stamps = stamps[rng.uniform(size=len(stamps)) > 0.2]
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.001, len(stamps))))
    open_ = close * np.exp(rng.normal(0, 0.0005, len(stamps)))
    return pd.DataFrame({"open": open_, "high": np.maximum(open_, close) * 1.001,
                         "low": np.minimum(open_, close) * 0.999, "close": close,
                         "volume": rng.integers(0, 5000, len(stamps)).astype(float)}, index=stamps)


def _check(bt, bars: pd.DataFrame, kinds: list[str]) -> None:
    got = bt.features["SPX"]
    for kind in kinds:
        want = expected(bars, kind)
        for f in (*FIELDS, "lag"):
            np.testing.assert_array_equal(got[f"{kind}:{kind}_{f}"].to_numpy(), want[f].to_numpy(),
                                          err_msg=f"{kind} {f}")


@pytest.mark.parametrize("engine", ["compiled", "reference"])
def test_daily_bars_resampled_as_pandas_groups_them(engine):
    kinds = ["every3", "weekly", "monthly", "daily"]
    bt = backtest(_flow(kinds), engine=engine)
    data = bt.prepared.market
    bars = pd.DataFrame({f: getattr(data, f)[:, 0] for f in FIELDS}, index=pd.DatetimeIndex(data.timestamps))
    _check(bt, bars, kinds)


@pytest.mark.parametrize("engine", ["compiled", "reference"])
@pytest.mark.parametrize("seed", [1, 2])
def test_minute_bars_with_gaps_resampled_as_pandas_groups_them(engine, seed, tmp_path):
    kinds = ["every3", "minutes15", "hourly", "daily"]
    bars = _minute_bars(seed)
    csv = tmp_path / "minutes.csv"
    bars.rename_axis("timestamp").to_csv(csv)
    bt = backtest(_flow(kinds), data={"SPX": str(csv)}, engine=engine)
    _check(bt, bars, kinds)


def test_two_timeframes_never_share_a_compiled_program(tmp_path):
    from flowc.compiler.codegen import generate
    from flowc.compiler.pipeline import compile_to
    from flowc.runtime.executor import cache_key

    weekly = tmp_path / "weekly.flow"
    weekly.write_text(_flow(["weekly"]))
    monthly = tmp_path / "monthly.flow"
    monthly.write_text(_flow(["weekly"]).replace("weekly()", "monthly()"))
    plans = [compile_to(p, "optimise").plan for p in (weekly, monthly)]
    assert cache_key(plans[0], generate(plans[0]).source) != cache_key(plans[1], generate(plans[1]).source)


@pytest.mark.parametrize("engine", ["compiled", "reference"])
def test_a_coarser_file_read_at_every_step_through_every_1(engine, tmp_path):
    """A weekly file next to daily bars: `every(1)` holds each weekly bar, so `wk@WK` reads the latest week at
    every daily step (a plain `close@WK` is undefined where WK has no bar)."""
    days = pd.bdate_range("2024-01-01", periods=30)
    daily = pd.DataFrame({"open": 100.0, "high": 101.0, "low": 99.0, "close": np.arange(30) + 100.0,
                          "volume": 1000.0}, index=days.rename("timestamp"))
    fridays = days[days.day_of_week == 4]
    weekly = pd.DataFrame({"open": 10.0, "high": 11.0, "low": 9.0, "close": np.arange(len(fridays)) + 10.0,
                           "volume": 5.0}, index=fridays.rename("timestamp"))
    daily.to_csv(tmp_path / "spx.csv")
    weekly.to_csv(tmp_path / "wk.csv")
    flow = """
containers c { backtest: backtest {
    data: data { source = [csv("spx.csv", symbol = "SPX"), csv("wk.csv", symbol = "WK")] }
    held: feature { timeframe = every(1); wk = close }
    strategy: strategy { signal = where(wk@WK > 11, 1, 0) + 0 * wk }
    risk: risk { size = fixed(1) }
    execution: execution { fill = next_open() }
    portfolio: portfolio { cash = 1_000_000 }
} }
communication w {
    pipeline data -> held -> strategy -> risk -> execution -> portfolio
    broadcast data -> strategy, execution, portfolio : BAR
}
workflow w { containers = c; communication = w }
"""
    (tmp_path / "w.flow").write_text(flow)
    bt = backtest(str(tmp_path / "w.flow"), engine=engine)
    spx = bt.features["SPX"]
    direction = spx["strategy:direction"].to_numpy()
    # the third Friday's close is 12: long from that Friday's step on, never before
    third = int(np.flatnonzero(days == fridays[2])[0])
    assert (direction[:third] == 0).all() and (direction[third:] == 1).all()


BAD = {  # a container with a timeframe: what cannot be, and its code
    "timeframe = sma(close, 5)": "FL503",  # a series component is not a clock
    "timeframe = weekly": "FL503",
    "timeframe = every(0)": "FL509",
    "timeframe = every(2.5)": "FL501",
    "timeframe = weekly(3)": "FL502",
    "timeframe = weekly(); y = close@NDX": "FL513",  # another symbol's coarse bar is seen at other steps
    "timeframe = weekly(); y = cs_rank(close)": "FL514",  # the symbols' coarse bars are seen at different steps
}


@pytest.mark.parametrize("settings", sorted(BAD))
def test_what_a_timeframe_cannot_be_is_a_diagnostic_with_its_place(settings, tmp_path):
    from flowc.compiler.pipeline import compile_to

    flow = tmp_path / "bad.flow"
    flow.write_text(_flow(["weekly"]).replace("timeframe = weekly()", settings).replace(
        'sample("sp500", symbol = "SPX")', '[sample("sp500", symbol = "SPX"), sample("nasdaq", symbol = "NDX")]'))
    compiled = compile_to(flow, "optimise")
    codes = {d.code for d in compiled.diagnostics if d.severity.value == "error"}
    assert codes == {BAD[settings]}, [d.message for d in compiled.diagnostics]
    assert all(d.span is not None and d.span.line > 0 for d in compiled.diagnostics if d.code == BAD[settings])


def test_a_timeframe_needs_bars_to_build_from(tmp_path):
    from flowc.compiler.pipeline import compile_to

    flow = tmp_path / "no_bar.flow"
    flow.write_text(_flow(["weekly"]).replace("broadcast data -> weekly, ", "broadcast data -> "))
    codes = {d.code for d in compile_to(flow, "optimise").diagnostics}
    assert "FL304" in codes


@pytest.mark.parametrize("start", ["2005-03-02", "2010-01-01", "2014-06-30"])
def test_a_range_keeps_the_coarse_bars_a_window_needs(start):
    """With `--start`, the bars kept before it (data-aware: two more of the data's fullest periods than the
    window's coarse bars) define the ten-week average from the first traded bar, over the same ten weeks as
    in the whole run (equal but for the rounding of `sma`'s running sum, which began elsewhere)."""
    flow = (Path(__file__).parents[2] / "examples" / "weekly_trend.flow").read_text()
    whole = backtest(flow).features["SPX"]["weekly:week_ma"]
    cut = backtest(flow, start=start)
    first = cut.prepared.market.timestamps[cut.prepared.trade_from]
    ma = cut.features["SPX"]["weekly:week_ma"]
    traded = ma[ma.index >= first]
    assert traded.notna().all() and len(traded) > 100
    np.testing.assert_allclose(traded.to_numpy(), whole[traded.index].to_numpy(), rtol=1e-13)
