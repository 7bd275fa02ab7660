"""The reference engine, on hand-computed scenarios of a few bars each, and on the sp500 against pandas.

Each scenario is a small inline `.flow` file and a `MarketData` built here. Strategies often
read a BAR field as a control channel (`signal = volume`): the test's data are not validated,
so `volume` (or `high`, `low`) can carry the signal a scenario needs, bar by bar.
"""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flowc.compiler.workflow import analyse
from flowc.dsl.loader import load, load_text
from flowc.runtime.data import MarketData, align, load_source
from flowc.runtime.ledger import Ledger
from flowc.runtime.reference import COMPONENTS, run_reference
from flowc.runtime.trades import build_trades

from ..oracles.sma_pandas import simple_backtest_oracle

NAN = math.nan
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

DATA = 'data: data { source = sample("sp500", symbol = "A") }'
DATA2 = 'data: data { source = [sample("sp500", symbol = "A"), sample("nasdaq", symbol = "B")] }'
PIPELINE = """
    pipeline data -> strategy -> risk -> execution -> portfolio
    broadcast data -> risk, execution, portfolio : BAR
    feedback portfolio -> risk : PORTFOLIO
"""
TAIL = """
    pipeline risk -> execution -> portfolio
    broadcast data -> risk, execution, portfolio : BAR
    feedback portfolio -> risk : PORTFOLIO
"""


# ---- helpers --------------------------------------------------------------------------------


def market(**symbols: dict[str, list[float | None]]) -> MarketData:
    """Per symbol, columns over the steps; `close` None means no bar. open/high/low default to close, volume to 1."""
    names = tuple(symbols)
    steps = len(next(iter(symbols.values()))["close"])
    shape = (steps, len(names))
    present = np.zeros(shape, bool)
    fields = {f: np.full(shape, NAN) for f in ("open", "high", "low", "close", "volume")}
    for j, columns in enumerate(symbols.values()):
        close = np.array([NAN if c is None else c for c in columns["close"]], float)
        present[:, j] = ~np.isnan(close)
        for name, out in fields.items():
            default = [1.0] * steps if name == "volume" else close
            values = np.array([NAN if v is None else v for v in columns.get(name, default)], float)
            out[:, j] = np.where(present[:, j], values, NAN)
    return MarketData(names, np.arange(steps, dtype=np.int64), present=present, **fields)


def flow(containers: str, communication: str) -> str:
    return (f"containers t {{\n backtest: backtest {{\n{containers}\n }}\n}}\n"
            f"communication c {{\n{communication}\n}}\n"
            "workflow w {\n containers = t\n communication = c\n}\n")


def backtest(strategy: str = "signal = volume", risk: str = "size = fixed(10)", execution: str = "fill = close()",
             *, data: str = DATA, cash: float = 1000, communication: str = PIPELINE) -> str:
    return flow(f"""{data}
        strategy: strategy {{ {strategy} }}
        risk: risk {{ {risk} }}
        execution: execution {{ {execution} }}
        portfolio: portfolio {{ cash = {cash} }}""", communication)


def run(text: str, m: MarketData) -> Ledger:
    analysis = analyse(load_text(text, "test.flow"))
    errors = [d for d in analysis.diagnostics if d.is_error]
    assert not errors, errors
    return run_reference(analysis, m)


def orders(ledger: Ledger) -> list[tuple[int, int, float, int]]:
    """(step, symbol, quantity, risk)"""
    return [(int(o["step"]), int(o["symbol"]), float(o["quantity"]), int(o["risk"])) for o in ledger.orders]


def fills(ledger: Ledger) -> list[tuple[int, int, float, float, float, int, int]]:
    """(step, symbol, quantity, price, commission, portfolio, execution)"""
    return [(int(f["step"]), int(f["symbol"]), float(f["quantity"]), float(f["price"]), float(f["commission"]),
             int(f["portfolio"]), int(f["execution"])) for f in ledger.fills]


def signal(ledger: Ledger, strategy: str, symbol: int = 0) -> list[float | None]:
    """The signed strength of each step's SIGNAL (direction * strength), None where absent."""
    present, direction, strength = ledger.signals[strategy]
    return [float(d * s) if p else None for p, d, s in zip(present[:, symbol], direction[:, symbol],
                                                          strength[:, symbol], strict=True)]


def series(component: str, *calls: tuple[float, ...]) -> list[float]:
    """Call one fresh component state once per tuple of arguments."""
    state = COMPONENTS[component]()
    return [state(*args) for args in calls]


def same(actual: list[float], expected: list[float]) -> bool:
    """Bit-identical, NaN equal to NaN."""
    return len(actual) == len(expected) and all(
        (a != a and e != e) or a == e for a, e in zip(actual, expected, strict=True))


# ---- components -----------------------------------------------------------------------------


def test_sma_seeds_a_left_to_right_sum_then_runs_and_resets_on_an_undefined_input():
    got = series("sma", *((x, 3) for x in (1, 2, 3, 4, NAN, 5, 6, 7, 8)))
    assert same(got, [NAN, NAN, 2.0, 3.0, NAN, NAN, NAN, 6.0, 7.0])
    # The running sum, not a fresh sum per window: the rounding of `s + (x_t - x_old)` shows.
    got = series("sma", *((x, 2) for x in (0.1, 0.2, 0.3, 0.4)))
    s1 = 0.0 + 0.1 + 0.2
    s2 = s1 + (0.3 - 0.1)
    s3 = s2 + (0.4 - 0.2)
    assert same(got, [NAN, s1 / 2, s2 / 2, s3 / 2])


def test_stdev_is_two_pass_with_ddof_1_over_a_full_defined_window():
    got = series("stdev", *((x, 3) for x in (1, 2, 4, NAN, 1, 1, 1)))
    m = (0.0 + 1 + 2 + 4) / 3
    expected = math.sqrt((0.0 + (1 - m) * (1 - m) + (2 - m) * (2 - m) + (4 - m) * (4 - m)) / 2)
    assert same(got, [NAN, NAN, expected, NAN, NAN, NAN, 0.0])
    assert expected == pytest.approx(math.sqrt(7 / 3))


def test_highest_and_lowest_include_the_current_value():
    xs = (3, 1, 2, NAN, 5, 4)
    assert same(series("highest", *((x, 2) for x in xs)), [NAN, 3, 2, NAN, NAN, 5])
    assert same(series("lowest", *((x, 2) for x in xs)), [NAN, 1, 1, NAN, NAN, 4])


def test_zscore_uses_the_running_mean_and_is_undefined_where_the_stdev_is_zero():
    got = series("zscore", *((x, 3) for x in (1, 2, 3, 3, 3, 3)))
    mean = (6.0 + (3 - 1)) / 3
    sd = math.sqrt((0.0 + (2 - 8 / 3) ** 2 + 2 * (3 - 8 / 3) ** 2) / 2)
    assert same(got[:3], [NAN, NAN, 1.0]) and same(got[4:], [NAN, NAN])
    assert got[3] == pytest.approx((3 - mean) / sd, abs=1e-15)


def test_momentum_is_the_sign_of_the_change_over_n_calls():
    got = series("momentum", *((x, 2) for x in (1, 2, 3, 2, NAN, 5, 5)))
    assert same(got, [NAN, NAN, 1.0, 0.0, NAN, 1.0, NAN])


def test_breakout_compares_the_close_with_the_previous_n_closes():
    assert same(series("breakout", *((c, 2) for c in (1, 2, 3, 2, 1.5, 0.5))), [NAN, NAN, 1.0, 0.0, -1.0, -1.0])
    assert same(series("breakout", *((c, 2) for c in (1, NAN, 3, 4, 5))), [NAN, NAN, NAN, NAN, 1.0])


def test_returns_divide_by_the_previous_call_like_ieee():
    assert same(series("returns", *((x,) for x in (2, 3, NAN, 4, 0, 1, 0))),
                [NAN, 0.5, NAN, NAN, -1.0, math.inf, -1.0])
    assert same(series("returns", (0.0,), (0.0,)), [NAN, NAN])


def test_ema_seeds_on_the_first_defined_input_and_skips_undefined_ones():
    assert same(series("ema", *((x, 3) for x in (NAN, 2, 4, NAN, 8, 10))), [NAN, NAN, NAN, NAN, 5.5, 7.75])


def test_rsi_is_wilder_smoothed_and_100_without_losses():
    got = series("rsi", *((x, 2) for x in (1, 2, NAN, 1, 3, 3)))
    assert same(got, [NAN, NAN, NAN, 50.0, 100.0 - 100.0 / (1.0 + 1.25 / 0.25),
                      100.0 - 100.0 / (1.0 + 0.625 / 0.125)])
    assert same(series("rsi", *((x, 2) for x in (1, 2, 3))), [NAN, NAN, 100.0])


def test_atr_smooths_the_true_range_and_keeps_its_state_on_an_undefined_bar():
    bars = ((10, 8, 9), (11, 9, 10), (NAN, NAN, NAN), (12, 10.5, 11), (13, 9, 9))
    assert same(series("atr", *((h, lo, c, 2) for h, lo, c in bars)), [NAN, NAN, NAN, 2.0, 3.0])


def test_stateless_components():
    assert same(series("threshold_regime", (NAN, 1.5), (1, 1.5), (1.5, 1.5), (2, 1.5)), [NAN, 0.0, 1.0, 1.0])
    assert same(series("crossover", (1, 2), (2, 1), (1, 1), (NAN, 1)), [-1.0, 1.0, 0.0, 0.0])
    assert same(series("mean_reversion", *((x, 30, 70) for x in (NAN, 20, 80, 30, 70))),
                [NAN, 1.0, -1.0, 0.0, 0.0])


def test_a_component_gets_its_bar_fields_first_and_counts_only_the_symbols_own_bars():
    text = backtest("signal = atr(2)")
    ledger = run(text, market(A=dict(close=[9, 10, None, 11, 9], high=[10, 11, None, 12, 13],
                                      low=[8, 9, None, 10.5, 9])))
    assert signal(ledger, "strategy") == [0.0, 0.0, None, 2.0, 3.0]
    ledger = run(backtest("signal = sma(close, 2)", data=DATA2),
                 market(A=dict(close=[10, 11, 12, 13]), B=dict(close=[20, None, 22, 23])))
    assert signal(ledger, "strategy", 0) == [0.0, 10.5, 11.5, 12.5]
    assert signal(ledger, "strategy", 1) == [0.0, None, 21.0, 22.5]


def test_each_data_container_emits_bar_for_its_own_symbols():
    text = flow("""
        data_a: data { source = sample("sp500", symbol = "A") }
        data_b: data { source = sample("nasdaq", symbol = "B") }
        strategy: strategy { signal = close }
        risk: risk { size = fixed(1) }
        execution: execution { fill = close() }
        portfolio: portfolio { cash = 1000 }""", """
        pipeline data_a -> strategy -> risk -> execution -> portfolio
        broadcast data_a -> risk, execution, portfolio : BAR
        broadcast data_b -> risk, execution, portfolio : BAR
        feedback portfolio -> risk : PORTFOLIO""")
    ledger = run(text, market(A=dict(close=[10, 11]), B=dict(close=[20, 21])))
    assert signal(ledger, "strategy", 0) == [10.0, 11.0]
    assert signal(ledger, "strategy", 1) == [None, None]  # only data_b emits B's bars
    assert orders(ledger) == [(0, 0, 1.0, 0)]


# ---- expressions and settings ---------------------------------------------------------------


def test_expression_semantics():
    probes = {"p_div": "q", "p_ne": "q != 5", "p_not": "not (q > 1)", "p_or": "q or 0", "p_and": "q and 1",
              "p_neg": "-q", "p_sym": 'symbol == "B"'}
    strategies = "\n".join(f"{name}: strategy {{ signal = {expr} }}" for name, expr in probes.items())
    text = flow(f"{DATA2}\n features: feature {{ q = close / volume }}\n{strategies}",
                f"pipeline data -> features\n broadcast features -> {', '.join(probes)} : FEATURE")
    ledger = run(text, market(A=dict(close=[2, 8], volume=[0, 4]), B=dict(close=[2, 8], volume=[0, 4])))
    expected = {"p_div": [0.0, 2.0],  # x / 0 is undefined, and an undefined signal is direction 0
                "p_ne": [0.0, 1.0],  # a comparison with an undefined operand is false, `!=` too
                "p_not": [1.0, 0.0], "p_or": [0.0, 1.0], "p_and": [0.0, 1.0], "p_neg": [0.0, -2.0],
                "p_sym": [0.0, 0.0]}
    for name, values in expected.items():
        assert signal(ledger, name) == values, name
    assert signal(ledger, "p_sym", 1) == [1.0, 1.0]
    assert ledger.portfolios == () and ledger.equity.shape == (2, 0)


def test_an_inactive_strategy_updates_its_state_and_emits_nothing():
    ledger = run(backtest("signal = sma(close, 2); active = volume > 0"),
                 market(A=dict(close=[10, 20, 30, 40], volume=[1, 0, 0, 1])))
    assert signal(ledger, "strategy") == [0.0, None, None, 35.0]  # sma(30, 40): the window saw every bar


# ---- routing --------------------------------------------------------------------------------


def test_a_when_guard_filters_events_by_their_fields():
    routes = """
        pipeline data -> strategy
        route strategy -> risk : SIGNAL when direction > 0
    """ + TAIL
    m = market(A=dict(close=[10] * 4, volume=[1, -1, 0, 1]))
    assert orders(run(backtest(risk="size = fixed(10); long_only = false", communication=routes), m)) == [
        (0, 0, 10.0, 0)]
    assert orders(run(backtest(risk="size = fixed(10); long_only = false"), m)) == [
        (0, 0, 10.0, 0), (1, 0, -20.0, 0), (2, 0, 10.0, 0), (3, 0, 10.0, 0)]


def _selective(cases: str) -> str:
    return flow(f"""{DATA}
        features: feature {{ m = sma(close, 2) }}
        hi: strategy {{ signal = m }}
        lo: strategy {{ signal = m }}
        risk: risk {{ size = fixed(1) }}
        execution: execution {{ fill = close() }}
        portfolio: portfolio {{ cash = 1000 }}""",
                f"""pipeline data -> features
        selective features -> {{ {cases} }} : FEATURE
        route hi, lo -> risk : SIGNAL""" + TAIL)


def test_selective_sends_an_undefined_operand_to_else():
    ledger = run(_selective("m > 2 => hi, else => lo"), market(A=dict(close=[1, 2, 3, 4])))
    assert signal(ledger, "hi") == [None, None, 2.5, 3.5]
    assert signal(ledger, "lo") == [0.0, 1.5, None, None]  # m is undefined at step 0: `m > 2` is false


def test_not_of_a_comparison_with_an_undefined_operand_is_true():
    ledger = run(_selective("not (m > 2) => lo, else => hi"), market(A=dict(close=[1, 2, 3, 4])))
    assert signal(ledger, "lo") == [0.0, 1.5, None, None]


def test_selective_by_symbol():
    text = flow(f"""{DATA2}
        strategy: strategy {{ signal = volume }}
        risk_a: risk {{ size = fixed(10) }}
        risk_b: risk {{ size = fixed(5) }}
        execution: execution {{ fill = close() }}
        portfolio: portfolio {{ cash = 1000 }}""", """
        pipeline data -> strategy
        selective strategy -> { symbol == "A" => risk_a, else => risk_b } : SIGNAL
        route risk_a, risk_b -> execution : ORDER
        pipeline execution -> portfolio
        broadcast data -> risk_a, risk_b, execution, portfolio : BAR
        feedback portfolio -> risk_a, risk_b : PORTFOLIO""")
    ledger = run(text, market(A=dict(close=[10, 10]), B=dict(close=[20, 20], volume=[1, 0])))
    assert ledger.risks == ("risk_a", "risk_b")
    assert orders(ledger) == [(0, 0, 10.0, 0), (0, 1, 5.0, 1), (1, 1, -5.0, 1)]


def test_hierarchical_forwarding_and_a_classifier_choosing_the_strategy():
    text = flow(f"""{DATA}
        features: feature {{ r = volume }}
        classifier: classifier {{
            regime = threshold_regime(r, 1)
            trend: strategy {{ signal = crossover(close, 10); active = regime == 0 }}
            revert: strategy {{ signal = mean_reversion(close, 9, 11); active = regime == 1 }}
        }}
        risk: risk {{ size = fixed(10) }}
        execution: execution {{ fill = close() }}
        portfolio: portfolio {{ cash = 1000 }}""", """
        pipeline data -> features -> classifier
        hierarchical classifier : BAR, FEATURE, REGIME
        route classifier -> risk : SIGNAL""" + TAIL.replace("risk, execution", "classifier, risk, execution"))
    ledger = run(text, market(A=dict(close=[12, 8, 12, 8, 12], volume=[0, 0, 1, 1, None])))
    assert signal(ledger, "classifier.trend") == [1.0, -1.0, None, None, None]
    assert signal(ledger, "classifier.revert") == [None, None, -1.0, 1.0, None]  # undefined regime: neither
    assert orders(ledger) == [(0, 0, 10.0, 0), (1, 0, -10.0, 0), (3, 0, 10.0, 0)]


# ---- risk -----------------------------------------------------------------------------------


def _two_strategies(combine: str) -> str:
    return flow(f"""{DATA}
        s1: strategy {{ signal = high }}
        s2: strategy {{ signal = low; active = volume > 0 }}
        risk: risk {{ size = fixed(1); long_only = false; combine = {combine} }}
        execution: execution {{ fill = close() }}
        portfolio: portfolio {{ cash = 1000 }}""", """
        broadcast data -> s1, s2 : BAR
        route s1, s2 -> risk : SIGNAL""" + TAIL)


@pytest.mark.parametrize(("combine", "expected"), [
    ("sum", [(0, 1.0), (1, -1.0), (2, 1.0), (3, -2.0), (4, 2.0)]),
    ("mean", [(0, 1.0), (1, -1.0), (2, 1.0), (3, -2.0), (4, 2.0)]),
    ("unanimous", [(0, 1.0), (1, -1.0), (3, -1.0), (4, 2.0)]),
])
def test_combine_over_the_present_signals(combine, expected):
    # (s1, s2) per step: (1, 1), (1, -1), (1, 0), (-1, -1), (1, absent)
    m = market(A=dict(close=[10] * 5, high=[1, 1, 1, -1, 1], low=[1, -1, 0, -1, -1], volume=[1, 1, 1, 1, 0]))
    assert [(t, q) for t, _, q, _ in orders(run(_two_strategies(combine), m))] == expected


def test_long_only_turns_short_into_flat():
    m = market(A=dict(close=[10] * 5, volume=[1, -1, 0, -1, 1]))
    assert [(t, q) for t, _, q, _ in orders(run(backtest(risk="size = fixed(5)"), m))] == [
        (0, 5.0), (1, -5.0), (4, 5.0)]
    assert [(t, q) for t, _, q, _ in orders(run(backtest(risk="size = fixed(5); long_only = false"), m))] == [
        (0, 5.0), (1, -10.0), (2, 5.0), (3, -5.0), (4, 10.0)]


def test_max_position_clamps_the_target():
    m = market(A=dict(close=[10] * 3, volume=[1, -1, 1]))
    ledger = run(backtest(risk="size = fixed(10); max_position = 4; long_only = false"), m)
    assert [(t, q) for t, _, q, _ in orders(ledger)] == [(0, 4.0), (1, -8.0), (2, 8.0)]


def test_percent_equity_sizes_on_the_latest_portfolio_and_holds_the_quantity():
    m = market(A=dict(close=[10, 20, 20, 25], volume=[1, 1, 0, 1]))
    ledger = run(backtest(risk="size = percent_equity(50)"), m)
    # t0: floor(0.5 * 1000 (the starting state) / 10); t1: held; t3: floor(0.5 * 1500 (t2's equity) / 25)
    assert [(t, q) for t, _, q, _ in orders(ledger)] == [(0, 50.0), (2, -50.0), (3, 30.0)]
    assert ledger.equity[:, 0].tolist() == [1000.0, 1500.0, 1500.0, 1500.0]
    ledger = run(backtest(risk="size = percent_equity(50); rebalance = true"), m)
    assert [(t, q) for t, _, q, _ in orders(ledger)] == [(0, 50.0), (1, -25.0), (2, -25.0), (3, 30.0)]


def test_portfolio_feedback_carries_the_starting_state_at_step_0():
    m = market(A=dict(close=[10, 10], volume=[1, 1]))
    assert orders(run(backtest(risk="size = percent_equity(10)"), m)) == [(0, 0, 10.0, 0)]
    # A drawdown of 0 at step 0 is already `>= 0 / 100`: the entry is blocked from the first step.
    assert orders(run(backtest(risk="size = fixed(10); max_drawdown = 0"), m)) == []
    # Without the feedback route no equity ever arrives: percent_equity is undefined and sends nothing.
    no_feedback = PIPELINE.replace("feedback portfolio -> risk : PORTFOLIO", "")
    assert orders(run(backtest(risk="size = percent_equity(10)", communication=no_feedback), m)) == []
    assert orders(run(backtest(risk="size = fixed(10); max_drawdown = 0", communication=no_feedback), m)) == [
        (0, 0, 10.0, 0)]


def test_max_drawdown_only_moves_the_book_towards_flat():
    m = market(A=dict(close=[100, 80, 80, 80], volume=[1, 1, -1, -1]))
    risk = "size = fixed(10); long_only = false"
    assert [(t, q) for t, _, q, _ in orders(run(backtest(risk=risk), m))] == [(0, 10.0), (2, -20.0)]
    ledger = run(backtest(risk=risk + "; max_drawdown = 10"), m)
    assert [(t, q) for t, _, q, _ in orders(ledger)] == [(0, 10.0), (2, -10.0)]  # to flat, not short
    assert ledger.positions.tolist() == [[0.0]]


def test_max_drawdown_lifts_when_the_drawdown_recovers():
    m = market(A=dict(close=[100, 80, 80, 100, 100]), B=dict(close=[50] * 5, volume=[0, 0, 1, 1, 1]))
    ledger = run(backtest(risk="size = fixed(10); max_drawdown = 10", data=DATA2), m)
    # B's entry (step 2) is blocked while the drawdown of step 1 (20%) and step 2 is seen; step 3 recovers.
    assert orders(ledger) == [(0, 0, 10.0, 0), (4, 1, 10.0, 0)]
    assert ledger.equity[:, 0].tolist() == [1000.0, 800.0, 800.0, 1000.0, 1000.0]


def test_several_risk_containers_on_one_symbol_add_up():
    text = flow(f"""{DATA}
        strategy: strategy {{ signal = volume }}
        risk_a: risk {{ size = fixed(10) }}
        risk_b: risk {{ size = fixed(5) }}
        execution: execution {{ fill = close() }}
        portfolio: portfolio {{ cash = 1000 }}""", """
        pipeline data -> strategy
        route strategy -> risk_a, risk_b : SIGNAL
        route risk_a, risk_b -> execution : ORDER
        pipeline execution -> portfolio
        broadcast data -> risk_a, risk_b, execution, portfolio : BAR
        feedback portfolio -> risk_a, risk_b : PORTFOLIO""")
    ledger = run(text, market(A=dict(close=[10, 11, 12], volume=[1, 0, 1])))
    assert orders(ledger) == [(0, 0, 10.0, 0), (0, 0, 5.0, 1), (1, 0, -10.0, 0), (1, 0, -5.0, 1),
                              (2, 0, 10.0, 0), (2, 0, 5.0, 1)]
    assert [(t, q, p) for t, _, q, p, *_ in fills(ledger)] == [
        (0, 10.0, 10.0), (0, 5.0, 10.0), (1, -10.0, 11.0), (1, -5.0, 11.0), (2, 10.0, 12.0), (2, 5.0, 12.0)]
    assert ledger.positions.tolist() == [[15.0]]


# ---- execution ------------------------------------------------------------------------------


def test_next_open_fills_at_the_next_bar_and_reports_what_is_left():
    m = market(A=dict(open=[9, 11, 13, 15], close=[10, 12, 14, 16], volume=[1, 0, 1, 0]))
    ledger = run(backtest(execution="fill = next_open()"), m)
    assert [(t, q, p) for t, _, q, p, *_ in fills(ledger)] == [(1, 10.0, 11.0), (2, -10.0, 13.0), (3, 10.0, 15.0)]
    assert ledger.unfilled.tolist() == [(0, -10.0, 0)]
    assert ledger.equity[:, 0].tolist() == [1000.0, 1010.0, 1020.0, 1030.0]
    assert ledger.cash[:, 0].tolist() == [1000.0, 890.0, 1020.0, 870.0]
    assert ledger.exposed.tolist() == [False, True, False, True]
    assert ledger.positions.tolist() == [[10.0]]


def test_close_fills_at_the_same_bar():
    m = market(A=dict(open=[9, 11, 13, 15], close=[10, 12, 14, 16], volume=[1, 0, 1, 0]))
    ledger = run(backtest(execution="fill = close()"), m)
    assert [(t, q, p) for t, _, q, p, *_ in fills(ledger)] == [
        (0, 10.0, 10.0), (1, -10.0, 12.0), (2, 10.0, 14.0), (3, -10.0, 16.0)]
    assert ledger.unfilled.tolist() == []
    assert ledger.equity[:, 0].tolist() == [1000.0, 1020.0, 1020.0, 1040.0]
    assert ledger.exposed.tolist() == [True, False, True, False]


# The execution sees a bar only where `volume > 0`: orders sent at other steps arrive without a bar.
GUARDED_BAR = """
    pipeline data -> strategy -> risk -> execution -> portfolio
    broadcast data -> risk, portfolio : BAR
    route data -> execution : BAR when volume > 0
    feedback portfolio -> risk : PORTFOLIO
"""


@pytest.mark.parametrize(("fill", "price"), [("next_open()", 11.5), ("close()", 12.0)])
def test_an_order_that_arrives_without_a_bar_waits_for_the_next_bar(fill, price):
    m = market(A=dict(open=[9.5, 10.5, 11.5], close=[10, 11, 12], high=[1, 1, 1], volume=[0, 0, 1]))
    ledger = run(backtest("signal = high", execution=f"fill = {fill}", communication=GUARDED_BAR), m)
    assert orders(ledger) == [(0, 0, 10.0, 0)]
    assert [(t, q, p) for t, _, q, p, *_ in fills(ledger)] == [(2, 10.0, price)]


def test_orders_pending_from_one_input_net_and_a_zero_net_is_dropped():
    m = market(A=dict(close=[10] * 6, high=[-1, 0, -1, 1, 1, 1], volume=[0, 0, 1, 0, 0, 1]))
    ledger = run(backtest("signal = high", risk="size = fixed(10); long_only = false",
                          execution="fill = next_open()", communication=GUARDED_BAR), m)
    assert [(t, q) for t, _, q, _ in orders(ledger)] == [(0, -10.0), (1, 10.0), (2, -10.0), (3, 20.0)]
    # -10 + 10 nets to nothing (no fill at step 2); -10 + 20 fills as one +10 at step 5.
    assert [(t, q) for t, _, q, *_ in fills(ledger)] == [(5, 10.0)]
    assert ledger.unfilled.tolist() == []


def test_a_setting_that_reads_nothing_runs_at_every_step_and_symbol():
    m = market(A=dict(close=[10, 11, 12]), B=dict(open=[None, 20.5, 21.5], close=[None, 21, 22]))
    ledger = run(backtest("signal = 1", execution="fill = next_open()", data=DATA2), m)
    assert signal(ledger, "strategy", 1) == [1.0, 1.0, 1.0]  # B has no bar at step 0 and still signals
    assert orders(ledger) == [(0, 0, 10.0, 0), (0, 1, 10.0, 0)]
    assert [(t, s, p) for t, s, _, p, *_ in fills(ledger)] == [(1, 0, 11.0), (1, 1, 20.5)]


@pytest.mark.parametrize(("commission", "charge"), [
    ("percent(1)", lambda q, price: 1 / 100.0 * abs(q) * price),
    ("per_share(0.5)", lambda q, price: 0.5 * abs(q)),
    ("fixed(2)", lambda q, price: 2.0),
])
def test_slippage_moves_the_price_then_commission_is_charged_on_it(commission, charge):
    m = market(A=dict(close=[100, 110], volume=[1, 0]))
    ledger = run(backtest(execution=f"fill = close(); slippage = bps(50); commission = {commission}"), m)
    buy = 100.0 + 1.0 * ((50 / 10000.0) * 100.0)
    sell = 110.0 + -1.0 * ((50 / 10000.0) * 110.0)
    assert (buy, sell) == (100.5, 109.45)
    assert fills(ledger) == [(0, 0, 10.0, buy, charge(10.0, buy), 0, 0), (1, 0, -10.0, sell, charge(-10.0, sell), 0, 0)]
    cash = (1000.0 - (10.0 * buy + charge(10.0, buy))) - (-10.0 * sell + charge(-10.0, sell))
    assert ledger.cash[-1, 0] == cash and ledger.equity[-1, 0] == cash


# ---- portfolio ------------------------------------------------------------------------------


def test_a_fill_reaches_two_portfolios_and_each_records_it():
    text = flow(f"""{DATA}
        strategy: strategy {{ signal = volume }}
        risk: risk {{ size = fixed(10) }}
        execution: execution {{ fill = close() }}
        book1: portfolio {{ cash = 1000 }}
        book2: portfolio {{ cash = 5000 }}""", """
        pipeline data -> strategy -> risk -> execution
        route execution -> book1, book2 : FILL
        broadcast data -> risk, execution, book1, book2 : BAR
        feedback book1 -> risk : PORTFOLIO""")
    ledger = run(text, market(A=dict(close=[10, 12], volume=[1, 0])))
    assert ledger.portfolios == ("book1", "book2") and ledger.cash0.tolist() == [1000.0, 5000.0]
    assert fills(ledger) == [(0, 0, 10.0, 10.0, 0.0, 0, 0), (0, 0, 10.0, 10.0, 0.0, 1, 0),
                             (1, 0, -10.0, 12.0, 0.0, 0, 0), (1, 0, -10.0, 12.0, 0.0, 1, 0)]
    assert ledger.equity.tolist() == [[1000.0, 5000.0], [1020.0, 5020.0]]


def test_a_symbol_without_a_bar_is_marked_at_its_last_close():
    m = market(A=dict(close=[10, 11, 12, 13]), B=dict(close=[20, 21, None, 23], volume=[1, 1, None, 0]))
    ledger = run(backtest(data=DATA2), m)
    assert orders(ledger) == [(0, 0, 10.0, 0), (0, 1, 10.0, 0), (3, 1, -10.0, 0)]
    assert ledger.equity[:, 0].tolist() == [1000.0, 1020.0, 1030.0, 1060.0]  # step 2: B at 21
    assert ledger.positions.tolist() == [[10.0, 0.0]]


# ---- whole runs -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sp500() -> MarketData:
    return align(load_source("sample", {"name": "sp500", "symbol": "SPX"}, base_dir=EXAMPLES))


def test_simple_backtest_matches_the_pandas_oracle(sp500):
    analysis = analyse(load(EXAMPLES / "simple_backtest.flow"))
    ledger = run_reference(analysis, sp500)
    with resources.as_file(resources.files("flowc.runtime").joinpath("sample_data", "sp500.csv")) as csv:
        oracle = simple_backtest_oracle(pd.read_csv(csv), fast=10, slow=30)
    assert ledger.equity[-1, 0] == pytest.approx(oracle["final_equity"], abs=1e-6)
    np.testing.assert_array_equal(ledger.equity[:, 0], oracle["equity"].to_numpy())  # in fact bit for bit
    f = ledger.fills
    trades, open_trades = build_trades(f["step"], f["symbol"], f["quantity"], f["price"], f["commission"],
                                       n_symbols=1)
    assert (len(trades), len(f), len(open_trades)) == (88, 176, 0)
    assert ledger.positions.tolist() == [[oracle["position"]]]


@pytest.mark.parametrize("example", ["simple_backtest", "full_backtest", "two_indices"])
def test_examples_run_deterministically_and_the_books_add_up(example):
    analysis = analyse(load(EXAMPLES / f"{example}.flow"))
    data = analysis.binding.containers["data"].config.sources
    m = align([bars for spec in data for bars in load_source(spec.kind, spec.args, base_dir=EXAMPLES)])
    ledger = run_reference(analysis, m)
    assert ledger.same_as(run_reference(analysis, m))
    for s in range(m.n_symbols):
        sent = ledger.orders["quantity"][ledger.orders["symbol"] == s].sum()
        filled = ledger.fills["quantity"][ledger.fills["symbol"] == s].sum()
        left = ledger.unfilled["quantity"][ledger.unfilled["symbol"] == s].sum()
        assert filled == ledger.positions[0, s] and sent == filled + left
