"""Property: no optimisation pass changes a result, on random topologies, data and parameters.

Topologies are drawn from building blocks that give the passes work: feature containers whose
settings often repeat one another (few windows, so equal calls are common), settings nobody
reads, containers routed nowhere, strategies that compute a feature again themselves, BAR
broadcast to strategies that do not read it, a BAR route with a predicate (a different stream),
reads at another symbol and cross-sectional operators, and sometimes a classifier. Each
topology runs on random bars with missing ones and random params, with the whole pipeline and
with every pass alone, against the planner's plan: the ledgers (orders, fills, equity, cash,
positions, unfilled) and every strategy's signals must be bit-identical. Runs are interpreted
(`helpers.run_plan`), so drawing topologies is cheap.
"""

from __future__ import annotations

import random
from unittest import mock

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import flowc.compiler.optimize as optimize
from flowc.runtime import executor
from flowc.runtime.reference import run_reference

from .helpers import interpreted, prepared, random_market, raw_plan, run_plan, same

WINDOWS = ("fast", "slow", "5", "10")


def topology(rng: random.Random) -> str:
    """One random topology (the text of a `.flow` file); `rng` makes every choice."""
    pick = lambda xs: rng.choice(list(xs))  # noqa: E731
    features: list[list[str]] = []
    body = ["        data: data { source = synthetic(bars = 100, symbols = 2, seed = 5) }"]
    for i in range(rng.randint(1, 3)):
        names, settings_ = [], []
        for j in range(rng.randint(1, 4)):
            w = pick(WINDOWS)
            kind = pick(("sma", "sma", "ema", "rsi", "stdev", "zscore", "highest", "atr", "combo", "of", "const",
                         "lag", "rolling", "math", "calendar", "across"))
            if kind == "lag":  # the expression operators (docs/semantics.md, section 5)
                expr = pick((f"shift(close, {w})", f"pct_change(close, {w})", f"diff(log(close), {w})"))
            elif kind == "rolling":
                expr = pick((f"rank(close, {w})", f"sum(returns(close), {w})", f"corr(close, open, {w})",
                             f"cov(returns(close), returns(open), {w})"))
            elif kind == "math" and names:
                expr = pick((f"clip(sqrt(abs({pick(names)})) * sign({pick(names)}), -5, 5)",
                             f"where({pick(names)} > {pick(names)}, max(close, open), min(high, exp(-1)))"))
            elif kind == "across":  # reads at another symbol, cross-sectional operators (docs/semantics.md)
                of = pick(names) if names else "close"
                expr = pick(("close / close@S1 - 1", f"cs_rank({of})", f"top({of}, 1) - bottom(open@S0, 1)",
                             f"cs_zscore(sma(close, {w})) + demean({of})", f"cs_weight({of} - close@S0)"))
            elif kind == "calendar":
                expr = "new_week() + new_month() * 2 + weekday() / 7 + month() / 12 + bar_index() / 1000"
            elif kind == "combo" and names:
                expr = f"({pick(names)} - sma(close, {w})) / {pick(names)}"
            elif kind == "of" and names:
                expr = f"sma({pick(names)}, {w})"
            elif kind == "const":
                expr = "2"
            elif kind in ("rsi", "ema", "sma", "zscore"):
                expr = f"{kind}(close, {w})"
            elif kind == "stdev":
                expr = f"stdev(returns(close), {w})"
            elif kind == "highest":
                expr = f"highest(high, {w})"
            elif kind == "atr":
                expr = f"atr({w})"
            else:
                expr = f"sma(close, {w})"
            names.append(f"f{i}_{j}")
            settings_.append(f"{names[-1]} = {expr}")
        features.append(names)
        body.append(f"        f{i}: feature {{ {'; '.join(settings_)} }}")
    routes = [f"    pipeline data -> f{i}" for i in range(len(features))]
    classifier = rng.random() < 0.5
    if classifier:
        k = pick(range(len(features)))
        body.append(f"        regime: classifier {{ calm = threshold_regime({pick(features[k])}, 0.5) }}")
        routes.append(f"    route f{k} -> regime : FEATURE")
    strategies = []
    for j in range(rng.randint(1, 3)):
        k = pick(range(len(features)))
        names, w = features[k], pick(WINDOWS)
        signal = pick((f"crossover({pick(names)}, {pick(names)})", f"crossover(close, sma(close, {w}))",
                       f"mean_reversion({pick(names)}, 30, 70)", f"momentum(close, {w})",
                       f"crossover({pick(names)}, sma(close, {w}))", f"crossover(close, {pick(names)})",
                       f"crossover({pick(names)}, {pick(names)}@S0)", f"cs_rank({pick(names)}) - 0.5",
                       f"hold(long = cross_above(close, sma(close, {w})), short = cross_below({pick(names)}, 0),"
                       f" flat = {pick(names)} > {pick(names)})"))
        line = f"signal = {signal}"
        if classifier and rng.random() < 0.5:
            line += "; active = calm == 0"
            routes.append(f"    route regime -> s{j} : REGIME")
        elif rng.random() < 0.5:
            line += f"; active = {pick(names)} > {pick(names)}"
        body.append(f"        s{j}: strategy {{ {line} }}")
        routes.append(f"    route f{k} -> s{j} : FEATURE")
        if j == 0 or rng.randint(0, 4):
            routes.append(f"    route s{j} -> risk : SIGNAL")
        strategies.append(f"s{j}")
    guarded = [s for s in strategies if rng.randint(0, 3) == 0]
    plain = [s for s in strategies if s not in guarded]
    for s in guarded:
        routes.append(f"    route data -> {s} : BAR when close > 45")
    risk, bar = risk_settings(rng, features[0])
    body += [f"        risk: risk {{ {'; '.join(risk)} }}",
             f"        execution: execution {{ fill = {pick(('next_open()', 'close()'))}; commission = percent(0.1) }}",
             "        portfolio: portfolio { cash = 100_000 }"]
    receivers = [*plain, *(["risk"] if bar else []), "execution", "portfolio"]
    routes += ["    pipeline risk -> execution -> portfolio", "    route f0 -> risk : FEATURE",
               f"    broadcast data -> {', '.join(receivers)} : BAR",
               "    feedback portfolio -> risk : PORTFOLIO"]
    return "\n".join(["param fast: int = 10", "param slow: int = 30", "", "containers c {", "    backtest: backtest {",
                      *body, "    }", "}", "", "communication w {", *routes, "}", "",
                      "workflow w { containers = c; communication = w }", ""])


def risk_settings(rng: random.Random, names: list[str]) -> tuple[list[str], bool]:
    """A random risk container (docs/semantics.md, 6-6b): sizes, exits and reads of its book; and whether
    it needs a BAR route."""
    pick = lambda xs: rng.choice(list(xs))  # noqa: E731
    book = pick(("position", "equity / 1000", "cash / 1000", "bars_held", "unrealised_pnl / 100", "strength",
                 "direction", "entry_price / 10", "drawdown * 100"))
    value = pick((*names, "close", book, f"abs({pick(names)}) + 1", f"sma(close, {pick(WINDOWS)}) / 10"))
    size = pick((
        "fixed(10)", f"units(abs({value}) + 1)", f"percent_equity(clip({value}, 1, 90))",
        f"weight(clip(abs({value}), 0, 0.9))", f"risk_percent(1, abs({value}) + 0.5)", "weight(strength / 2)"))
    lines = [f"size = {size}", f"long_only = {pick(('true', 'false'))}"]
    if rng.random() < 0.3:
        lines.append("fractional = true")
    if rng.random() < 0.3:
        lines.append(pick(("rebalance = true", "rebalance = new_week()", f"rebalance = {pick(names)} > 0")))
    each = lambda: pick(("", ", each_bar = true"))  # noqa: E731
    exits = {
        "stop_loss": (pick(("3", "2.5")), f"distance(abs({value}) + 0.5{each()})", f"price(close * 0.97{each()})",
                      f"percent(abs({value}) + 1{each()})"),
        "take_profit": ("8", f"distance(abs({value}) + 1{each()})", f"price(highest(high, 5){each()})"),
        "trailing_stop": ("4", f"distance(abs({value}) + 1{each()})"),
    }
    for name, choices in exits.items():
        if rng.random() < 0.35:
            lines.append(f"{name} = {pick(choices)}")
    if rng.random() < 0.25:
        lines.append(f"max_bars = {rng.randint(1, 12)}")
    needs_bar = any(line.split(" =")[0] in (*exits, "max_bars") for line in lines) or any(
        word in " ".join(lines) for word in ("close", "high", "new_week", "entry_price", "bars_held", "unrealised_pnl"))
    return lines, needs_bar


topologies = st.randoms(use_true_random=False).map(topology)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(text=topologies, seed=st.integers(0, 2**32 - 1), holes=st.sampled_from([0.0, 0.15]),
       fast=st.integers(2, 12), slow=st.integers(13, 30))
def test_no_pass_changes_a_result_on_random_topologies(tmp_path_factory, text, seed, holes, fast, slow):
    p = prepared(tmp_path_factory.mktemp("topology"), text)
    raw = raw_plan(p)
    market = random_market(p.market.symbols, 80, seed, holes)
    values = {"fast": fast, "slow": slow}
    expected = run_plan(raw, p, market, values)
    assert expected.same_as(run_reference(p.analysis, market, list(p.params(values)))), text
    variants = [None, *((q,) for q in optimize.PIPELINE)]
    for passes in variants:
        plan = optimize.optimize(raw, p.analysis, passes)
        if plan.structure() == raw.structure():
            continue
        assert same(run_plan(plan, p, market, values), expected), (passes, text)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(text=topologies, seed=st.integers(0, 2**32 - 1), holes=st.sampled_from([0.0, 0.15]),
       tile=st.integers(1, 9))
def test_a_run_in_tiles_equals_the_run_that_keeps_every_step(tmp_path_factory, text, seed, holes, tile):
    """Without `signals` the hoisted outputs hold one tile of steps (`codegen.program`): nothing else changes."""
    p = prepared(tmp_path_factory.mktemp("topology"), text)
    plan = optimize.optimize(raw_plan(p), p.analysis)
    market = random_market(p.market.symbols, 80, seed, holes)
    whole = run_plan(plan, p, market)
    with mock.patch.object(executor, "tile_steps", lambda n_symbols: tile):
        tiled = run_plan(plan, p, market, signals=False)
    assert tiled.signals is None and tiled.same_as(whole)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(text=topologies, seed=st.integers(0, 2**32 - 1), holes=st.sampled_from([0.0, 0.15]))
def test_the_program_for_one_symbol_agrees_with_the_reference(tmp_path_factory, text, seed, holes):
    """On data of one symbol the program specialised for it runs (`codegen.one_symbol`): state in locals, the
    hoisted containers inlined in the step loop (`program.inlines_prefix`), keeping their events or not; a
    second run keeping them computes them again (`Generated.reuses_prefix`)."""
    assume("@S" not in text)  # a read of another symbol (`close@S1`) needs that symbol's data
    p = prepared(tmp_path_factory.mktemp("topology"), text)
    plan = optimize.optimize(raw_plan(p), p.analysis)
    market = random_market(p.market.symbols[:1], 80, seed, holes)
    expected = run_reference(p.analysis, market, list(p.params(None)))
    program = interpreted(executor.compile_plan(plan, one=True))
    owner, symlit = np.zeros(1, dtype=np.int64), np.full(1, -1, dtype=np.int64)
    with np.errstate(all="ignore"):
        kept = executor.run_program(program, market, owner, symlit, p.params(None), signals=True)
        again = executor.run_program(program, market, owner, symlit, p.params(None), signals=True)
        tiled = executor.run_program(program, market, owner, symlit, p.params(None))
    assert kept.same_as(expected) and same(again, kept) and tiled.same_as(expected), text


def test_the_generator_gives_every_pass_work(tmp_path):
    """Over a fixed sample of topologies, each pass changes some plan (else the property proves little)."""
    changed = dict.fromkeys((q.__module__.rsplit(".", 1)[-1] for q in optimize.PIPELINE), 0)
    for k in range(40):
        p = prepared(tmp_path, topology(random.Random(k)), f"t{k}")
        raw = raw_plan(p)
        for q in optimize.PIPELINE:
            if optimize.optimize(raw, p.analysis, (q,)).structure() != raw.structure():
                changed[q.__module__.rsplit(".", 1)[-1]] += 1
    assert all(changed.values()), changed
