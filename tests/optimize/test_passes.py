"""Each optimisation pass: what it does to a plan, that it changes no result, and the invariants.

One topology (`ALL`) gives every pass something to do; each pass is checked alone on the
planner's plan and in the pipeline, against the plan without any pass, on the topology's own
data and on random data with missing bars.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

import flowc.compiler.optimize as optimize
from flowc.compiler.ir import Input, Local
from flowc.compiler.optimize import check, cse_local, cse_shared, dead_containers, dead_routes, dead_settings
from flowc.compiler.optimize.rewrite import applies
from flowc.compiler.plan import build_plan

from .helpers import passes_alone, prepared, random_market, raw_plan, run_plan, same

ALL = """
param fast: int = 10
param slow: int = 30

containers c {
    backtest: backtest {
        data: data { source = synthetic(bars = 200, symbols = 2, seed = 3) }
        features: feature {
            fast_ma = sma(close, fast)
            slow_ma = sma(close, slow)
            spread = (close - sma(close, fast)) / slow_ma
            unused = ema(close, 50)
        }
        others: feature { slow2 = sma(close, slow); r = rsi(close, 14) }
        orphan: feature { x = sma(close, 5) }
        trend: strategy { signal = crossover(fast_ma, slow_ma); active = spread > -1 }
        dip: strategy { signal = mean_reversion(r, 30, 70); active = slow2 > 0 }
        mom: strategy { signal = crossover(close, sma(close, fast)) }
        guarded: strategy { signal = crossover(close, sma(close, fast)) }
        risk: risk { size = fixed(10); long_only = false }
        execution: execution { fill = next_open(); commission = percent(0.1) }
        portfolio: portfolio { cash = 100_000 }
    }
}

communication w {
    pipeline data -> features -> trend -> risk -> execution -> portfolio
    pipeline data -> others -> dip -> risk
    pipeline data -> orphan
    route mom, guarded -> risk : SIGNAL
    broadcast data -> trend, dip, mom, execution, portfolio : BAR
    route data -> guarded : BAR when close > 40
    feedback portfolio -> risk : PORTFOLIO
}

workflow w { containers = c; communication = w }
"""


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    p = prepared(tmp_path_factory.mktemp("all"), ALL)
    return p, raw_plan(p)


def _setting(plan, path, name):
    return plan.node(path).container.setting(name)


def test_dead_containers_drops_what_reaches_nothing(case):
    p, raw = case
    plan = dead_containers.run(raw, optimize.Context.of(p.analysis))
    assert [n.path for n in raw.nodes if n not in plan.nodes] == ["orphan"]
    assert {n.role for n in plan.nodes} == {n.role for n in raw.nodes}


def test_dead_settings_drops_features_nobody_reads(case):
    p, raw = case
    plan = dead_settings.run(raw, optimize.Context.of(p.analysis))
    assert plan.node("features").fields == ("fast_ma", "slow_ma", "spread")
    assert len(plan.node("features").states) == len(raw.node("features").states) - 1  # the ema's state
    assert plan.node("orphan").fields == ("x",)  # a container's last setting stays


def test_dead_settings_keeps_a_setting_whose_reads_decide_emission(tmp_path):
    # nobody reads `m`, but it is `mix`'s only setting that reads BAR: without it `mix` would emit
    # its constant at every step, bars or not; `spare` reads BAR too, so one of the two can go
    text = ALL.replace("orphan: feature { x = sma(close, 5) }", "mix: feature { k = 2; m = sma(close, 5) }").replace(
        "pipeline data -> orphan", "pipeline data -> mix -> trend").replace("active = spread > -1", "active = k > 1")
    p = prepared(tmp_path, text)
    plan = dead_settings.run(raw_plan(p), optimize.Context.of(p.analysis))
    assert plan.node("mix").fields == ("k", "m")
    text = text.replace("m = sma(close, 5) }", "m = sma(close, 5); spare = ema(close, 3) }")
    p = prepared(tmp_path, text, "spare")
    plan = dead_settings.run(raw_plan(p), optimize.Context.of(p.analysis))
    assert plan.node("mix").fields == ("k", "m")


def test_cse_local_reuses_an_earlier_setting(case):
    p, raw = case
    plan = cse_local.run(raw, optimize.Context.of(p.analysis))
    spread = _setting(plan, "features", "spread")
    assert spread.expr.left.right == Local("fast_ma")  # (close - fast_ma) / slow_ma
    assert len(plan.node("features").states) == len(raw.node("features").states) - 1
    assert spread.reads == _setting(raw, "features", "spread").reads


def test_cse_shared_reads_another_containers_feature(case):
    p, raw = case
    plan = cse_shared.run(raw, optimize.Context.of(p.analysis))
    assert _setting(plan, "others", "slow2").expr == Input("FEATURE", "features", "slow_ma")
    assert plan.node("others").input("FEATURE", "features") is not None
    mom = _setting(plan, "mom", "signal").expr
    assert Input("FEATURE", "features", "fast_ma") in mom.args and not applies(mom.args[1])
    # `guarded` gets its bars through a predicate: not the stream `features` sees, so it keeps its sma
    assert len(applies(_setting(plan, "guarded", "signal").expr)) == 2
    # `dip` runs only when `others` emits as well: its calls would differ, so nothing is shared into it
    assert plan.node("dip") == raw.node("dip")


def test_dead_routes_drops_unread_inputs(case):
    p, raw = case
    plan = dead_routes.run(raw, optimize.Context.of(p.analysis))
    assert plan.node("trend").input("BAR") is None and raw.node("trend").input("BAR") is not None
    assert plan.node("dip").input("BAR") is None
    assert plan.node("mom").input("BAR") is not None  # mom reads close
    for role in ("risk", "execution", "portfolio"):
        node = plan.of_role(role)[0]
        assert node.inputs == raw.node(node.path).inputs


def test_the_pipeline_is_idempotent(case):
    p, raw = case
    once = optimize.optimize(raw, p.analysis)
    assert optimize.optimize(once, p.analysis).structure() == once.structure()
    assert once.structure() != raw.structure()


def test_build_plan_runs_the_pipeline(case):
    p, raw = case
    assert p.plan.structure() == optimize.optimize(raw, p.analysis).structure()
    with optimize.passes((dead_routes.run,)):
        only, _ = build_plan(p.analysis)
    assert only.structure() == dead_routes.run(raw, optimize.Context.of(p.analysis)).structure()
    assert build_plan(p.analysis)[0].structure() == p.plan.structure()  # the block's choice is gone after it


@pytest.mark.parametrize(("name", "passes"), [("pipeline", None), *passes_alone()])
def test_no_pass_changes_a_result(case, name, passes):
    p, raw = case
    plan = optimize.optimize(raw, p.analysis, passes)
    assert plan.structure() != raw.structure(), f"{name} did nothing on this topology"
    assert same(run_plan(plan, p), run_plan(raw, p))
    for seed, holes in ((1, 0.0), (2, 0.2)):
        market = random_market(p.market.symbols, 160, seed, holes)
        values = {"fast": 3 + seed, "slow": 12 + 3 * seed}
        assert same(run_plan(plan, p, market, values), run_plan(raw, p, market, values))


def test_check_catches_a_broken_plan(case):
    p, raw = case
    plan = optimize.optimize(raw, p.analysis)
    broken = replace(plan, nodes=tuple(n for n in plan.nodes if n.path != "features"))
    with pytest.raises(AssertionError, match="features"):
        check(broken, "a test")
    trend = plan.node("trend")
    wrong = replace(trend, states=trend.states[1:])
    with pytest.raises(AssertionError, match="states"):
        check(replace(plan, nodes=tuple(wrong if n is trend else n for n in plan.nodes)), "a test")
