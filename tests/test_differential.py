"""The compiled program against the plain-Python reference engine: bit-identical ledgers.

On every example, and on random data (several symbols, missing bars) and random parameters
over a small pool of topology shapes: each shape costs one numba compilation, data and
parameters vary freely after that.
"""

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowc.runtime.data import MarketData
from flowc.runtime.manager import prepare, run_prepared
from flowc.runtime.reference import run_reference
from tests.conftest import EXAMPLES

SHAPES = {
    # several strategies combined in one risk, two risk containers on one symbol, bps + per-share costs
    "combined": """
param fast: int = 5
param slow: int = 20
param cap: float = 40
containers c { backtest: backtest {
    data: data { source = synthetic(bars = 300, symbols = 3, seed = 1) }
    features: feature { f = ema(close, fast); s = sma(close, slow); r = rsi(close, 14); z = zscore(close, 10) }
    trend: strategy { signal = crossover(f, s) }
    revert: strategy { signal = mean_reversion(r, 35, 65); active = z < 1.5 }
    mom: strategy { signal = momentum(close, 7) }
    risk_a: risk { size = percent_equity(cap); combine = mean; long_only = false; max_drawdown = 20 }
    risk_b: risk { size = fixed(10); combine = unanimous; max_position = 15; rebalance = true }
    execution: execution { fill = next_open(); commission = per_share(0.01); slippage = bps(3) }
    portfolio: portfolio { cash = 100_000 }
} }
communication w {
    pipeline data -> features -> trend -> risk_a -> execution -> portfolio
    route features -> revert, mom : FEATURE
    route revert -> risk_a : SIGNAL
    route trend, mom -> risk_b : SIGNAL when direction != 0
    route risk_b -> execution : ORDER
    broadcast data -> mom, risk_a, risk_b, execution, portfolio : BAR
    feedback portfolio -> risk_a : PORTFOLIO
}
workflow w { containers = c; communication = w }
""",
    # two portfolios, close fills, selective routing by symbol, a classifier
    "two_books": """
param n: int = 10
containers c { backtest: backtest {
    data: data { source = synthetic(bars = 250, symbols = 2, seed = 2) }
    features: feature { a = highest(close, n); b = lowest(close, n); v = stdev(returns(close), 10); t = atr(5) }
    regime: classifier { calm = threshold_regime(v, 0.01) }
    brk: strategy { signal = breakout(n); active = calm == 1 or t > 2 }
    risk_x: risk { size = fixed(5); long_only = false }
    risk_y: risk { size = percent_equity(50) }
    ex_x: execution { fill = close(); commission = fixed(1) }
    ex_y: execution { fill = next_open(); commission = percent(0.1) }
    book_x: portfolio { cash = 50_000 }
    book_y: portfolio { cash = 70_000 }
} }
communication w {
    pipeline data -> features -> regime
    route features -> brk : FEATURE
    route regime -> brk : REGIME
    selective brk -> { symbol == "S0" => risk_x, else => risk_y } : SIGNAL
    pipeline risk_x -> ex_x -> book_x
    pipeline risk_y -> ex_y -> book_y
    broadcast data -> brk, risk_x, risk_y, ex_x, ex_y, book_x, book_y : BAR
    feedback book_y -> risk_y : PORTFOLIO
}
workflow w { containers = c; communication = w }
""",
    # every expression operator (docs/semantics.md, section 5), also run in the step loop (`hoist = False`)
    "operators": """
param lag: int = 3
param w: int = 10
containers c { backtest: backtest {
    data: data { source = synthetic(bars = 300, symbols = 3, seed = 3) }
    features: feature {
        r = pct_change(close, lag); d = diff(log(close)); s = shift(close, lag); m = sum(r, w) / w
        k = rank(close, w); cv = cov(r, d, w); cr = corr(close, s, w); i = bar_index()
        g = clip(sqrt(abs(d)) * sign(d) * 10 + exp(-abs(r)), -1, 1); lo = min(close, s); hi = max(close, s)
        cal = year() * 10000 + month() * 100 + day() + weekday() / 10 + hour() / 100 + minute() / 10000
        turn = new_day() + new_week() * 2 + new_month() * 4 + new_year() * 8; calm = where(weekday() == 4, 0.5, 1)
        steps = shift(2, 5)   # reads nothing: runs at every (t, s), bars or not, so it is 2 from step 5 on
    }
    trend: strategy {
        signal = where(cr > 0.2 and i > 30, hold(cross_above(k, 0.7), cross_below(k, 0.3), g > 0.9), 0)
    }
    book: strategy {
        signal = calm * hold(long = m > 0 and d > 0, short = cv < 0 and turn >= 2, flat = cross_below(close, lo))
        active = hi - lo >= 0 and steps == 2
    }
    risk: risk { size = fixed(10); long_only = false }
    execution: execution { fill = next_open(); commission = percent(0.1) }
    portfolio: portfolio { cash = 100_000 }
} }
communication w {
    pipeline data -> features -> trend -> risk -> execution -> portfolio
    route features -> book : FEATURE
    route book -> risk : SIGNAL
    broadcast data -> book, execution, portfolio : BAR
    feedback portfolio -> risk : PORTFOLIO
}
workflow w { containers = c; communication = w }
""",
    # reads at another symbol (`name@SYMBOL`, docs/semantics.md, section 3): BAR fields in a hoisted
    # feature, FEATURE and REGIME of upstream containers in the step loop
    "cross": """
param w: int = 10
containers c { backtest: backtest {
    data: data { source = synthetic(bars = 300, symbols = 3, seed = 3) }
    features: feature { lc = log(close); rel = close / close@S0; gap = open@S2 - close@"S1"; m = sma(close@S1, w) }
    regime: classifier { up = threshold_regime(returns(close@S1), 0) }
    spread: strategy {
        signal = where(symbol == "S0", -1, 1) * zscore(lc@S0 - lc@S1 + 0 * gap, w) + up@S1 - up@S2
        active = rel@S2 > 0 or m@S0 > 0
    }
    risk: risk { size = percent_equity(20); long_only = false }
    execution: execution { fill = next_open(); commission = percent(0.1) }
    portfolio: portfolio { cash = 100_000 }
} }
communication w {
    pipeline data -> features -> regime
    route features -> spread : FEATURE
    route regime -> spread : REGIME
    pipeline spread -> risk -> execution -> portfolio
    broadcast data -> regime, execution, portfolio : BAR
    feedback portfolio -> risk : PORTFOLIO
}
workflow w { containers = c; communication = w }
""",
    # cross-sectional operators (docs/semantics.md, section 5a) in a feature, a classifier and a strategy,
    # one reading another, with reads at another symbol; their containers run in the step loop
    "xsection": """
param k: int = 2
param w: int = 10
containers c { backtest: backtest {
    data: data { source = synthetic(bars = 300, symbols = 5, seed = 4) }
    lead: feature { mom = pct_change(close, w) }
    features: feature {
        m = sma(close, 5); r = cs_rank(pct_change(m, w)); z = cs_zscore(returns(close)) + demean(close@S0) * 0
        wt = cs_weight(r - 0.5); pick = top(z, k) - bottom(sma(z, 3), k)
    }
    regime: classifier { strong = top(mom, k) }
    rot: strategy { signal = pick + 0.1 * cs_rank(mom - mom@S1) * strong; active = wt == wt or r > 0.5 }
    risk: risk { size = percent_equity(10); long_only = false }
    execution: execution { fill = next_open(); commission = percent(0.1) }
    portfolio: portfolio { cash = 100_000 }
} }
communication w {
    pipeline data -> lead -> regime
    pipeline data -> features -> rot -> risk -> execution -> portfolio
    route lead -> rot : FEATURE
    route regime -> rot : REGIME
    broadcast data -> execution, portfolio : BAR
    feedback portfolio -> risk : PORTFOLIO
}
workflow w { containers = c; communication = w }
""",
    # risk settings that change bar by bar (docs/semantics.md, 6-6b): every size, every exit kind, the book
    "sized": """
param w: int = 10
param risk: float = 1
containers c { backtest: backtest {
    data: data { source = synthetic(bars = 300, symbols = 3, seed = 7) }
    features: feature { a = atr(w); m = sma(close, w); v = stdev(returns(close), w) }
    trend: strategy { signal = hold(long = cross_above(close, m), short = cross_below(close, m)) }
    monthly: strategy { signal = where(close > m, 0.5, -1); active = new_week() }
    risk_a: risk {
        size = risk_percent(risk, 2 * a); long_only = false
        stop_loss = distance(2 * a); take_profit = price(highest(high, w) + a, each_bar = true)
        trailing_stop = distance(3 * a, each_bar = true); max_bars = 15
    }
    risk_b: risk {
        size = weight(min(0.5, 0.01 / v) * strength + bars_held / 1000 + max(unrealised_pnl, 0) / equity)
        long_only = false; fractional = true; rebalance = abs(position) < 100 or new_month()
        stop_loss = percent(where(entry_price > cash / 1000, 3, 6), each_bar = true)
    }
    execution: execution { fill = next_open(); commission = percent(0.1) }
    portfolio: portfolio { cash = 100_000 }
} }
communication w {
    pipeline data -> features -> trend -> risk_a -> execution -> portfolio
    route features -> monthly, risk_a, risk_b : FEATURE
    route monthly -> risk_b : SIGNAL
    route risk_b -> execution : ORDER
    broadcast data -> trend, monthly, risk_a, risk_b, execution, portfolio : BAR
    feedback portfolio -> risk_a, risk_b : PORTFOLIO
}
workflow w { containers = c; communication = w }
""",
    "orders": """
param w: int = 10
param n: int = 3
param k: float = 0.5
containers c { backtest: backtest {
    data: data { source = synthetic(bars = 300, symbols = 3, seed = 11) }
    features: feature { a = atr(w); m = sma(close, w) }
    trend: strategy { signal = hold(long = cross_above(close, m), short = cross_below(close, m)) }
    weekly: strategy { signal = where(close > m, 1, -1); active = new_week() }
    risk_l: risk {
        size = units(10 + bars_held + working / 2); long_only = false; rebalance = bars_held == 2 or working > 15
        entry = limit(close - direction * k * a, bars = n)
        stop_loss = distance(2 * a)
    }
    risk_s: risk {
        size = weight(0.2); long_only = false; fractional = true; rebalance = new_month(); book = committed
        entry = stop(close + direction * k * a)
    }
    risk_x: risk {
        size = fixed(5); long_only = false
        entry = stop_limit(close + direction * k * a, close + direction * (k + 0.5) * a, bars = n)
    }
    risk_m: risk { size = fixed(3); long_only = false; entry = market_on_close(); stop_loss = distance(a) }
    risk_o: risk { size = fixed(2); long_only = false; entry = market_on_open(); take_profit = distance(a)
              close_at_end = true }
    execution: execution { fill = next_open(); commission = percent(0.1); slippage = volume_impact(0.2) }
    at_close: execution { fill = close(); slippage = bps(5) }
    portfolio: portfolio { cash = 100_000 }
} }
communication w {
    pipeline data -> features -> trend -> risk_l -> execution -> portfolio
    route features -> weekly, risk_l, risk_s, risk_x, risk_m, risk_o : FEATURE
    route weekly -> risk_s, risk_x : SIGNAL
    route trend -> risk_m, risk_o : SIGNAL
    route risk_x, risk_m -> execution : ORDER
    route risk_s, risk_o -> at_close : ORDER
    route at_close -> portfolio : FILL
    broadcast data -> trend, weekly, risk_l, risk_s, risk_x, risk_m, risk_o, execution, at_close, portfolio : BAR
    feedback portfolio -> risk_l, risk_s, risk_x, risk_m, risk_o : PORTFOLIO
}
workflow w { containers = c; communication = w }
""",
    # the participation cap (kept and dropped) and the entry spread (docs/semantics.md, 7), on market, exit,
    # limit, stop and market-on-close orders; the room is small beside the sizes, so most fills are cut
    "participation": """
param w: int = 10
param m: float = 0.002
param e: float = 15
containers c { backtest: backtest {
    data: data { source = synthetic(bars = 300, symbols = 3, seed = 5) }
    features: feature { a = atr(w); f = ema(close, w); g = sma(close, 30) }
    trend: strategy { signal = where(f > g, 1, -1) }
    risk_m: risk { size = fixed(150); long_only = false; stop_loss = distance(2 * a); book = committed }
    risk_l: risk {
        size = units(40 + working / 4); long_only = false; rebalance = working > 0
        entry = limit(close - direction * 0.5 * a, bars = 4); take_profit = distance(3 * a)
    }
    risk_s: risk { size = fixed(80); long_only = false; entry = stop(close + direction * 0.3 * a, bars = 3) }
    risk_c: risk { size = fixed(60); long_only = false; entry = market_on_close() }
    keep: execution {
        fill = next_open(); commission = percent(0.1); slippage = bps(2); entry_spread = bps(e)
        max_participation = m
    }
    drop: execution { fill = close(); entry_spread = bps(e); max_participation = m; rest = drop }
    portfolio: portfolio { cash = 100_000 }
} }
communication w {
    pipeline data -> features -> trend -> risk_m -> keep -> portfolio
    route features -> risk_m, risk_l, risk_s, risk_c : FEATURE
    route trend -> risk_l, risk_s, risk_c : SIGNAL
    route risk_l -> keep : ORDER
    route risk_s, risk_c -> drop : ORDER
    route drop -> portfolio : FILL
    broadcast data -> trend, risk_m, risk_l, risk_s, risk_c, keep, drop, portfolio : BAR
    feedback portfolio -> risk_m, risk_l, risk_s, risk_c : PORTFOLIO
}
workflow w { containers = c; communication = w }
""",
    # buying power (docs/semantics.md, section 8): sells first, buys cut (or rejected) to what the cash pays
    # for under every commission model, orders against the portfolio's position (`book = position`)
    "cash": """
param w: int = 10
param cash: float = 20_000
param big: float = 0.6
containers c { backtest: backtest {
    data: data { source = synthetic(bars = 300, symbols = 4, seed = 13) }
    features: feature { m = sma(close, w); mom = pct_change(close, w); best = top(mom, 2) }
    rot: strategy { signal = best; active = new_week() }
    trend: strategy { signal = hold(long = cross_above(close, m), short = cross_below(close, m)) }
    risk_r: risk { size = weight(big); rebalance = true; book = position }
    risk_t: risk { size = percent_equity(70); long_only = false; book = position; stop_loss = 4 }
    risk_o: risk { size = fixed(40); long_only = false }
    execution: execution {
        fill = next_open(); commission = fixed(1) + per_share(0.01) + percent(0.1); min_commission = 3
        slippage = bps(5)
    }
    at_close: execution { fill = close(); commission = percent(0.2); max_commission = 20 }
    cut: portfolio { cash = cash; buying_power = cut }
    reject: portfolio { cash = cash; buying_power = reject }
} }
communication w {
    pipeline data -> features -> rot -> risk_r -> execution -> cut
    route features -> trend, risk_t : FEATURE
    route trend -> risk_t, risk_o : SIGNAL
    route risk_t -> at_close : ORDER
    route at_close -> cut : FILL
    pipeline risk_o -> at_close
    route risk_o -> execution : ORDER
    route execution, at_close -> reject : FILL
    broadcast data -> rot, trend, risk_r, risk_t, risk_o, execution, at_close, cut, reject : BAR
    feedback cut -> risk_r, risk_t : PORTFOLIO
}
workflow w { containers = c; communication = w }
""",
    # a gross leverage limit (docs/semantics.md, section 8): longs and shorts cut (or rejected) to what
    # `max_leverage` times the previous equity allows, before the cash check of the buys; interest on the
    # cash and a borrow fee on the shorts
    "leverage": """
param w: int = 10
param cash: float = 20_000
param lev: float = 1.5
param big: float = 0.6
param carry: float = 0.01
param borrow: float = 0.02
containers c { backtest: backtest {
    data: data { source = synthetic(bars = 300, symbols = 4, seed = 17) }
    features: feature { m = sma(close, w); mom = pct_change(close, w); best = top(mom, 2) }
    rot: strategy { signal = best; active = new_week() }
    trend: strategy { signal = hold(long = cross_above(close, m), short = cross_below(close, m)) }
    risk_r: risk { size = weight(big); rebalance = true; book = position }
    risk_t: risk { size = percent_equity(90); long_only = false; stop_loss = 4 }
    execution: execution { fill = next_open(); commission = per_share(0.01) + percent(0.1); slippage = bps(5) }
    second: execution { fill = next_open(); commission = fixed(2); min_commission = 3 }
    cut: portfolio { cash = cash; buying_power = cut; max_leverage = lev; interest_per_bar = carry }
    reject: portfolio {
        cash = cash; buying_power = reject; max_leverage = lev; interest_per_bar = carry; borrow_fee_per_bar = borrow
    }
} }
communication w {
    pipeline data -> features -> rot -> risk_r -> execution -> cut
    route features -> trend, risk_t : FEATURE
    route trend -> risk_t : SIGNAL
    route risk_t -> second : ORDER
    route second -> cut, reject : FILL
    route execution -> reject : FILL
    broadcast data -> rot, trend, risk_r, risk_t, execution, second, cut, reject : BAR
    feedback cut -> risk_r, risk_t : PORTFOLIO
}
workflow w { containers = c; communication = w }
""",
    # timeframes (docs/semantics.md, 4a): coarse features, a coarse classifier and strategy, their held
    # values read by fine containers, ranked across the symbols and read at another symbol
    "timeframes": """
param w: int = 5
containers c { backtest: backtest {
    data: data { source = synthetic(bars = 400, symbols = 3, seed = 4) }
    weekly: feature { timeframe = weekly(); wk_ma = sma(close, w); wk_hi = high; wk_lag = shift(close, 1) }
    blocks: feature { timeframe = every(3); bk_mom = close / open - 1; bk_vol = volume; bk_lo = low }
    monthly: classifier { timeframe = monthly(); up = where(close > shift(close, 1), 1, 0) }
    ranked: classifier { top = cs_rank(bk_mom) }
    coarse_sig: strategy { timeframe = every(2); signal = where(close > wk_ma, 1, -1) * up }
    fine_sig: strategy {
        signal = where(top > 0.5 and wk_ma > wk_lag and close > wk_ma@S0 * 0.5, 1, 0) - where(bk_lo > wk_hi, 1, 0)
    }
    risk: risk { size = fixed(10); combine = sum; long_only = false }
    execution: execution { fill = next_open(); commission = percent(0.1) }
    portfolio: portfolio { cash = 100_000 }
} }
communication w {
    broadcast data -> weekly, blocks, monthly, coarse_sig, fine_sig, risk, execution, portfolio : BAR
    route weekly -> coarse_sig, fine_sig : FEATURE
    route blocks -> ranked, fine_sig : FEATURE
    route monthly -> coarse_sig : REGIME
    route ranked -> fine_sig : REGIME
    route coarse_sig, fine_sig -> risk : SIGNAL
    route risk -> execution : ORDER
    route execution -> portfolio : FILL
}
workflow w { containers = c; communication = w }
""",
    # tiered per-share commissions summed with a fixed fee and a percent, floored and capped (docs/semantics.md,
    # section 7), against the cash of a portfolio with buying power; yearly carry on the time elapsed between
    # a portfolio's runs (section 8), one portfolio running only where a guarded BAR route delivers
    "costs": """
param w: int = 10
param cash: float = 50_000
param z1: float = 100
param z2: float = 400
param r0: float = 0.02
param r1: float = 0.01
param r2: float = 0.004
param carry: float = 5
param borrow: float = 8
param floor: float = 50
containers c { backtest: backtest {
    data: data { source = synthetic(bars = 300, symbols = 3, seed = 23) }
    features: feature { m = sma(close, w) }
    trend: strategy { signal = hold(long = cross_above(close, m), short = cross_below(close, m)) }
    risk: risk { size = percent_equity(60); long_only = false; book = position }
    tiered: execution {
        fill = next_open(); commission = fixed(1) + per_share_tiers([0, z1, z2], [r0, r1, r2]) + percent(0.05)
        min_commission = 2; max_commission = percent(1)
    }
    cut: portfolio { cash = cash; buying_power = cut; interest_per_year = carry; borrow_fee_per_year = borrow }
    seldom: portfolio { cash = cash; interest_per_year = carry; borrow_fee_per_bar = 0.01 }
} }
communication w {
    pipeline data -> features -> trend -> risk -> tiered -> cut
    route tiered -> seldom : FILL
    route data -> seldom : BAR when close > floor
    broadcast data -> trend, risk, tiered, cut : BAR
    feedback cut -> risk : PORTFOLIO
}
workflow w { containers = c; communication = w }
""",
}


def _prepared(name: str, tmp_path_factory):
    text = SHAPES[name]
    path = tmp_path_factory.mktemp(name) / f"{name}.flow"
    path.write_text(text)
    return prepare(path)


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    return {name: _prepared(name, tmp_path_factory) for name in SHAPES}


def _same(prepared, values=None, market=None):
    if market is not None:
        prepared.market = market
    compiled = run_prepared(prepared, values, signals=True)
    with np.errstate(over="ignore", invalid="ignore"):  # as `run_prepared` runs it: an overflow is FL611, not a warning
        reference = run_reference(prepared.analysis, prepared.market, list(prepared.params(values)))
    assert compiled.same_as(reference)
    for path, (present, *values_) in compiled.signals.items():  # every strategy's decisions, emitted or not
        assert (present == reference.signals[path][0]).all(), path
        for x, y in zip(values_, reference.signals[path][1:], strict=True):
            assert (x[present] == y[present]).all(), path
    return compiled


@pytest.mark.parametrize("name", ["simple_backtest", "full_backtest", "two_indices", "limit_entry", "two_sleeves"])
def test_examples_agree(name):
    ledger = _same(prepare(EXAMPLES / f"{name}.flow"))
    assert len(ledger.fills) > 0


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_shapes_agree_on_their_defaults(shapes, name):
    ledger = _same(shapes[name])
    assert len(ledger.fills) > 0


def _random_market(market: MarketData, seed: int, holes: float) -> MarketData:
    """The same shape of data with new random-walk prices and some bars missing."""
    rng = np.random.default_rng(seed)
    T, S = market.close.shape
    close = 50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, (T, S)), axis=0))
    open_ = close * np.exp(rng.normal(0.0, 0.005, (T, S)))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.01, (T, S)))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.01, (T, S)))
    present = rng.uniform(size=(T, S)) >= holes
    present[0] = True
    volume = np.where(rng.uniform(size=(T, S)) < 0.05, 0.0, rng.uniform(1e3, 2e6, (T, S)))  # some bars trade nothing
    arrays = [np.where(present, a, np.nan) for a in (open_, high, low, close, volume)]
    return MarketData(market.symbols, market.timestamps, *arrays, present)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), holes=st.sampled_from([0.0, 0.1, 0.3]), fast=st.integers(2, 12),
       slow=st.integers(13, 40), cap=st.floats(1, 90))
def test_combined_shape_agrees_on_random_data(shapes, seed, holes, fast, slow, cap):
    prepared = shapes["combined"]
    _same(prepared, {"fast": fast, "slow": slow, "cap": cap}, _random_market(prepared.market, seed, holes))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), holes=st.sampled_from([0.0, 0.2]), n=st.integers(2, 30))
def test_two_books_shape_agrees_on_random_data(shapes, seed, holes, n):
    prepared = shapes["two_books"]
    _same(prepared, {"n": n}, _random_market(prepared.market, seed, holes))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), holes=st.sampled_from([0.0, 0.1, 0.3]), lag=st.integers(1, 12),
       w=st.integers(2, 30))
def test_operators_shape_agrees_on_random_data(shapes, seed, holes, lag, w):
    prepared = shapes["operators"]
    _same(prepared, {"lag": lag, "w": w}, _random_market(prepared.market, seed, holes))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), holes=st.sampled_from([0.0, 0.1, 0.3]), w=st.integers(2, 30))
def test_cross_symbol_shape_agrees_on_random_data(shapes, seed, holes, w):
    prepared = shapes["cross"]
    _same(prepared, {"w": w}, _random_market(prepared.market, seed, holes))
    hoisted = {n.path: n.hoisted for n in prepared.program.plan.nodes}
    assert hoisted["features"] and not hoisted["spread"]  # another symbol's FEATURE: in the step loop


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), holes=st.sampled_from([0.0, 0.1, 0.3]), k=st.integers(0, 6),
       w=st.integers(1, 30))
def test_cross_sectional_shape_agrees_on_random_data(shapes, seed, holes, k, w):
    prepared = shapes["xsection"]
    _same(prepared, {"k": k, "w": w}, _random_market(prepared.market, seed, holes))
    hoisted = {n.path: n.hoisted for n in prepared.program.plan.nodes}
    assert hoisted["lead"] and not hoisted["features"] and not hoisted["regime"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), holes=st.sampled_from([0.0, 0.1, 0.3]), w=st.integers(2, 30),
       risk=st.floats(0.1, 5))
def test_sized_shape_agrees_on_random_data(shapes, seed, holes, w, risk):
    prepared = shapes["sized"]
    _same(prepared, {"w": w, "risk": risk}, _random_market(prepared.market, seed, holes))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), holes=st.sampled_from([0.0, 0.1, 0.3]), w=st.integers(2, 20),
       n=st.integers(0, 4), k=st.floats(-1, 2))
def test_orders_shape_agrees_on_random_data(shapes, seed, holes, w, n, k):
    """Limit, stop, stop-limit and market-on-close entries, working and netted, expiring, cancelled by an exit,
    filled at the open or the close, two working inputs of one execution, slippage by the volume, market-on-open
    orders in `close` mode, positions closed at the end."""
    prepared = shapes["orders"]
    ledger = _same(prepared, {"w": w, "n": n, "k": k}, _random_market(prepared.market, seed, holes))
    assert len(ledger.fills) > 0


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), holes=st.sampled_from([0.0, 0.1, 0.3]), w=st.integers(2, 20),
       m=st.floats(1e-4, 0.02), e=st.floats(0, 50))
def test_participation_shape_agrees_on_random_data(shapes, seed, holes, w, m, e):
    """Fills cut to a share of the bar's volume, the rest kept (pending or working, ageing) or dropped and
    recorded, the room shared in fill order, and an entry spread on what opens a position."""
    prepared = shapes["participation"]
    ledger = _same(prepared, {"w": w, "m": m, "e": e}, _random_market(prepared.market, seed, holes))
    assert len(ledger.fills) > 0


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), holes=st.sampled_from([0.0, 0.1, 0.3]), w=st.integers(2, 20),
       cash=st.floats(500, 200_000), big=st.floats(0.1, 1.5))
def test_cash_shape_agrees_on_random_data(shapes, seed, holes, w, cash, big):
    """Two portfolios with buying power (cut and reject) fed by three risk containers through two executions."""
    prepared = shapes["cash"]
    ledger = _same(prepared, {"w": w, "cash": cash, "big": big}, _random_market(prepared.market, seed, holes))
    assert len(ledger.fills) > 0


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), holes=st.sampled_from([0.0, 0.1, 0.3]), w=st.integers(2, 20),
       cash=st.floats(5_000, 200_000), lev=st.floats(0.3, 3.0), big=st.floats(0.1, 1.5),
       carry=st.floats(0.0, 0.1), borrow=st.floats(0.0, 0.5))
def test_leverage_shape_agrees_on_random_data(shapes, seed, holes, w, cash, lev, big, carry, borrow):
    """Two portfolios with a gross leverage limit (cut and reject), longs and shorts from two executions,
    interest on the cash and a borrow fee on the shorts."""
    prepared = shapes["leverage"]
    values = {"w": w, "cash": cash, "lev": lev, "big": big, "carry": carry, "borrow": borrow}
    ledger = _same(prepared, values, _random_market(prepared.market, seed, holes))
    assert len(ledger.fills) > 0


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), holes=st.sampled_from([0.0, 0.1, 0.3]), w=st.integers(1, 12),
       times=st.booleans())
def test_timeframes_shape_agrees_on_random_data(shapes, seed, holes, w, times):
    """Coarse bars of weekdays, or of random timestamps a second to days apart (calendar periods of any length)."""
    prepared = shapes["timeframes"]
    market = _random_market(prepared.market, seed, holes)
    _same(prepared, {"w": w}, _random_times(market, seed) if times else market)


def _random_times(market: MarketData, seed: int) -> MarketData:
    """The market at random increasing timestamps: gaps of a second to a few days, and some of exactly a day."""
    rng = np.random.default_rng(seed)
    gaps = np.where(rng.uniform(size=market.n_steps) < 0.5, 86400, rng.integers(1, 4 * 86400, market.n_steps))
    seconds = 1_577_836_800 + np.cumsum(gaps)  # from 2020-01-01
    return dataclasses.replace(market, timestamps=(seconds * 1_000_000_000).astype("datetime64[ns]"))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), holes=st.sampled_from([0.0, 0.1, 0.3]), w=st.integers(2, 20),
       cash=st.floats(2_000, 200_000), z1=st.floats(1, 500), gap=st.floats(1, 2000),
       rates=st.lists(st.floats(0.0, 0.05), min_size=3, max_size=3), carry=st.floats(0.0, 20.0),
       borrow=st.floats(0.0, 30.0), floor=st.floats(30, 70))
def test_costs_shape_agrees_on_random_data(shapes, seed, holes, w, cash, z1, gap, rates, carry, borrow, floor):
    """Tiered commissions under a cash check, and yearly carry at random timestamps, in both engines."""
    prepared = shapes["costs"]
    values = {"w": w, "cash": cash, "z1": z1, "z2": z1 + gap, "r0": rates[0], "r1": rates[1], "r2": rates[2],
              "carry": carry, "borrow": borrow, "floor": floor}
    market = _random_times(_random_market(prepared.market, seed, holes), seed)
    ledger = _same(prepared, values, market)
    assert len(ledger.fills) > 0


@pytest.fixture(scope="module")
def stepped_operators(tmp_path_factory):
    """The operators in the step loop: their memory forms, called per step rather than per tile."""
    path = tmp_path_factory.mktemp("stepped") / "operators.flow"
    path.write_text(SHAPES["operators"])
    return prepare(path, hoist=False)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), holes=st.sampled_from([0.0, 0.2]), lag=st.integers(1, 12))
def test_operators_agree_in_the_step_loop(stepped_operators, seed, holes, lag):
    prepared = stepped_operators
    _same(prepared, {"lag": lag}, _random_market(prepared.market, seed, holes))
    assert not any(n.hoisted for n in prepared.program.plan.nodes)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), trade_from=st.integers(0, 200))
def test_engines_agree_with_a_warm_up(shapes, seed, trade_from):
    prepared = shapes["combined"]
    prepared.market = _random_market(prepared.market, seed, 0.1)
    compiled = run_prepared(prepared, trade_from=trade_from)
    reference = run_reference(prepared.analysis, prepared.market, list(prepared.params()), trade_from=trade_from)
    assert compiled.same_as(reference)
    assert (compiled.orders["step"] >= trade_from).all()


def test_points_that_differ_only_after_the_prefix_share_its_outputs(shapes):
    prepared = shapes["combined"]
    run_prepared(prepared, {"cap": 40}, signals=True)
    kept = prepared.program.prefix
    assert kept is not None
    second = run_prepared(prepared, {"cap": 20}, signals=True)  # a risk setting: features and signals are reused
    assert prepared.program.prefix is kept
    reference = run_reference(prepared.analysis, prepared.market, list(prepared.params({"cap": 20})))
    assert second.same_as(reference)
    run_prepared(prepared, {"cap": 20, "fast": 7}, signals=True)  # a feature setting: the prefix runs again
    assert prepared.program.prefix is not kept


@pytest.fixture(scope="module")
def stepped_cross(tmp_path_factory):
    """Reads at another symbol and cross-sectional operators with nothing hoisted (BAR reads in the step loop)."""
    path = tmp_path_factory.mktemp("stepped") / "cross.flow"
    path.write_text(SHAPES["cross"])
    return prepare(path, hoist=False)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), holes=st.sampled_from([0.0, 0.2]), w=st.integers(2, 20))
def test_cross_symbol_reads_agree_in_the_step_loop(stepped_cross, seed, holes, w):
    _same(stepped_cross, {"w": w}, _random_market(stepped_cross.market, seed, holes))
    assert not any(n.hoisted for n in stepped_cross.program.plan.nodes)


def test_complete_data_runs_the_program_without_presence_checks(shapes):
    """On data where every symbol has every bar the program takes `present=None` (`present_nb`):
    numba's other compilation of it, bit-identical to the one reading the array."""
    from flowc.runtime.executor import program_present, run_program

    prepared = shapes["combined"]
    prepared.market = _random_market(prepared.market, 7, 0.0)
    assert prepared.market.complete and program_present(prepared.market) is None
    without = _same(prepared)
    reading = run_program(prepared.program, prepared.market, prepared.owner, prepared.symlit, prepared.params(),
                          complete=False)
    assert reading.same_as(without)
    holed = _random_market(prepared.market, 7, 0.2)
    assert not holed.complete and program_present(holed) is holed.present


# futures contracts (docs/semantics.md, section 8b) beside stocks in the same portfolios: two futures
# with their own multipliers and margins, two stocks; one portfolio without buying power, one that
# cuts (with a leverage limit on the notional and a borrow fee, which futures do not pay) and one that
# rejects. Sized from the portfolio, longs and shorts, fills at the open and at the close; a tiered
# commission in the cash check, a yearly borrow fee beside a per-bar one.
FUTURES = """
param w: int = 10
param cash: float = 200_000
param m_es: float = 50
param g_es: float = 5000
param m_nq: float = 20
param g_nq: float = 2000
param lev: float = 2
param borrow: float = 0.02
containers c { backtest: backtest {
    es: data { source = sample("sp500", symbol = "ES"); contract = future(multiplier = m_es, margin = g_es) }
    nq: data { source = sample("nasdaq", symbol = "NQ"); contract = future(multiplier = m_nq, margin = g_nq) }
    stocks: data { source = [sample("sp500", symbol = "SPY"), sample("nasdaq", symbol = "QQQ")] }
    features: feature { m = sma(close, w); mom = pct_change(close, w); best = top(mom, 2) }
    rot: strategy { signal = best; active = new_week() }
    trend: strategy { signal = hold(long = cross_above(close, m), short = cross_below(close, m)) }
    risk_r: risk { size = units(30); rebalance = true; book = position }
    risk_t: risk { size = percent_equity(40); long_only = false; stop_loss = 4 }
    execution: execution { fill = next_open(); commission = per_share(2) + percent(0.01); slippage = bps(5) }
    second: execution {
        fill = close(); commission = fixed(2) + per_share_tiers([0, 20], [0.5, 0.2]); min_commission = 3
    }
    open: portfolio { cash = cash; borrow_fee_per_year = borrow }
    cut: portfolio { cash = cash; buying_power = cut; max_leverage = lev; borrow_fee_per_bar = borrow }
    reject: portfolio { cash = cash; buying_power = reject }
} }
communication w {
    route es, nq, stocks -> features : BAR
    pipeline features -> rot -> risk_r -> execution -> cut
    route features -> trend, risk_t : FEATURE
    route trend -> risk_t : SIGNAL
    route risk_t -> second : ORDER
    route second -> cut, open : FILL
    route execution -> reject, open : FILL
    route es, nq, stocks -> rot, trend, risk_r, risk_t, execution, second, open, cut, reject : BAR
    feedback cut -> risk_r, risk_t : PORTFOLIO
}
workflow w { containers = c; communication = w }
"""


@pytest.fixture(scope="module")
def futures(tmp_path_factory):
    path = tmp_path_factory.mktemp("futures") / "futures.flow"
    path.write_text(FUTURES)
    return prepare(path, end="2000-06-30")  # 1999 and half of 2000: the random markets keep this shape


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), holes=st.sampled_from([0.0, 0.1, 0.3]), w=st.integers(2, 20),
       cash=st.floats(5_000, 400_000), m_es=st.floats(0.5, 100), g_es=st.floats(0, 8_000), m_nq=st.floats(0.5, 100),
       g_nq=st.floats(0, 8_000), lev=st.floats(0.3, 4.0), borrow=st.floats(0.0, 0.5))
def test_futures_shape_agrees_on_random_data(futures, seed, holes, w, cash, m_es, g_es, m_nq, g_nq, lev, borrow):
    values = {"w": w, "cash": cash, "m_es": m_es, "g_es": g_es, "m_nq": m_nq, "g_nq": g_nq, "lev": lev,
              "borrow": borrow}
    ledger = _same(futures, values, _random_market(futures.market, seed, holes))
    assert len(ledger.fills) > 0


def test_futures_shape_agrees_on_its_defaults(futures):
    assert len(_same(futures).fills) > 0
