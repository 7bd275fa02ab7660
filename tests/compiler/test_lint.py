"""The lint passes and the diagnostics `analyse` emits: one snippet that triggers each code, one that does not.

Every snippet is a small edit of one clean topology (BASE), so each case
reads as "this change causes that code". Also: the examples lint clean,
the pipeline's structure, and property tests over random topologies.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from flowc.compiler.lint import PASSES, RUN_PASSES, lint, lint_workflows
from flowc.compiler.lint.algebraic_loop import witness_cycle
from flowc.compiler.workflow import Analysis, analyse
from flowc.dsl.codes import RULES
from flowc.dsl.diagnostics import Diagnostic
from flowc.dsl.loader import load, load_text

ROOT = Path(__file__).resolve().parents[2]

BASE = """\
param fast: int = 10
param slow: int = 30

containers c {
    backtest: backtest {
        data: data { source = sample("sp500") }
        features: feature {
            fast_ma = sma(close, fast)
            slow_ma = sma(close, slow)
        }
        strategy: strategy { signal = crossover(fast_ma, slow_ma) }
        risk: risk { size = fixed(100) }
        execution: execution { fill = next_open() }
        portfolio: portfolio { cash = 1_000_000 }
    }
}

communication p {
    pipeline data -> features -> strategy -> risk -> execution -> portfolio
    broadcast data -> strategy, execution, portfolio : BAR
}

workflow w {
    containers = c
    communication = p
}
"""


def edit(*changes: tuple[str, str]) -> str:
    """BASE with each `old` text replaced by `new` (once); a stale `old` fails loudly."""
    text = BASE
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def add_container(text: str) -> tuple[str, str]:
    return "        risk: risk {", f"        {text}\n        risk: risk {{"


def add_route(text: str) -> tuple[str, str]:
    return "    broadcast data", f"    {text}\n    broadcast data"


def analysed(text: str, workflow: str | None = None, overrides: tuple[str, ...] = ()) -> Analysis:
    return analyse(load_text(text, "case.flow"), workflow, overrides)


def diagnostics(text: str, workflow: str | None = None, overrides: tuple[str, ...] = (),
                passes=PASSES) -> list[Diagnostic]:
    """What `flowc lint` would find in one workflow: analysis and lint diagnostics."""
    analysis = analysed(text, workflow, overrides)
    return [*analysis.diagnostics, *lint(analysis, passes)]


def codes(*args, **kwargs) -> set[str]:
    return {d.code for d in diagnostics(*args, **kwargs)}


FEEDBACK = add_route("feedback portfolio -> risk : PORTFOLIO")
USER_ROLE = ("param fast", "role hedger { consumes FILL; produces ORDER }\nparam fast")
NESTED = add_container("box: classifier { regime = threshold_regime(fast_ma, 1)\n"
                       "  s: strategy { signal = crossover(fast_ma, slow_ma) } }")
NESTED_TWICE = add_container("box2: classifier { regime = threshold_regime(fast_ma, 2)\n"
                             "  s: strategy { signal = crossover(fast_ma, slow_ma) } }")

# code -> (a snippet that triggers it, a close snippet that does not, extra keyword arguments)
CASES: dict[str, tuple[str, str, dict]] = {
    # ---- names and imports ----
    "FL201": (edit(("sma(close, fast)", "sma(clsoe, fast)")), BASE, {}),
    "FL202": (edit(("param slow: int = 30", "param slow: int = 30\nparam fast: int = 11")),
              edit(("param slow: int = 30", "param slow: int = 30\nparam fast: int = 10")), {}),
    "FL205": (edit(("-> strategy -> risk", "-> strategi -> risk")), BASE, {}),
    "FL206": (edit(NESTED, NESTED_TWICE, add_route("route s -> risk : SIGNAL")),
              edit(NESTED, NESTED_TWICE, add_route("route box.s -> risk : SIGNAL")), {}),
    "FL207": (edit(("containers = c", "containers = cc")), BASE, {}),
    "FL208": (BASE, BASE, {"workflow": "nope"}),
    "FL209": (edit(("strategy, execution, portfolio : BAR", "execution, portfolio : BAR"),
                   ("crossover(fast_ma, slow_ma)", "crossover(close, slow_ma)")),
              edit(("crossover(fast_ma, slow_ma)", "crossover(close, slow_ma)")), {}),
    "FL210": (edit(("portfolio : BAR", "portfolio : BARS")), BASE, {}),
    "FL211": (edit(("risk: risk {", "risk: riks {")), BASE, {}),
    # ---- roles and events ----
    "FL301": (edit(add_route("route strategy -> execution : FILL")),
              edit(add_route("route risk -> execution : ORDER")), {}),
    "FL302": (edit(add_route("route strategy -> execution : SIGNAL")),
              edit(add_route("route strategy -> risk : SIGNAL")), {}),
    "FL303": (edit(add_route("pipeline features -> execution")), edit(add_route("pipeline features -> strategy")),
              {}),
    "FL304": (edit(("strategy, execution, portfolio : BAR", "strategy, portfolio : BAR")), BASE, {}),
    "FL305": (edit(("    }\n}\n\ncommunication", "    }\n    other: backtest {}\n}\n\ncommunication")), BASE, {}),
    "FL306": (edit(add_container("portfolio2: portfolio {}"), add_route("route execution -> portfolio2 : FILL"),
                   add_route("broadcast data -> portfolio2 : BAR"),
                   add_route("feedback portfolio, portfolio2 -> risk : PORTFOLIO")),
              edit(add_container("portfolio2: portfolio {}"), add_route("route execution -> portfolio2 : FILL"),
                   add_route("broadcast data -> portfolio2 : BAR"), FEEDBACK), {}),
    "FL307": (edit(USER_ROLE, add_container("hedge: hedger {}"), add_route("route execution -> hedge : FILL"),
                   add_route("feedback hedge -> execution : ORDER")), BASE, {"passes": RUN_PASSES}),
    # ---- graph structure ----
    "FL401": (edit(add_route("route portfolio -> risk : PORTFOLIO")), edit(FEEDBACK), {}),
    "FL402": (edit(add_container("s2: strategy { signal = crossover(1, 2) }"), add_route("route s2 -> risk : SIGNAL")),
              edit(add_container("s2: strategy { signal = crossover(1, 2) }"), add_route("route s2 -> risk : SIGNAL"),
                   add_route("broadcast data -> s2 : BAR")), {}),
    "FL403": (edit(add_container("f2: feature { z = sma(close, 5) }"), add_route("route data -> f2 : BAR")),
              edit(add_container("f2: feature { z = sma(close, 5) }"), add_route("route data -> f2 : BAR"),
                   add_route("route f2 -> strategy : FEATURE"),
                   ("crossover(fast_ma, slow_ma)", "crossover(fast_ma, z)")), {}),
    "FL404": (edit(add_container("f2: feature { z = sma(close, 5) }"), add_route("route data -> f2 : BAR")), BASE, {}),
    "FL405": (edit(add_route("feedback data -> features : BAR")), edit(FEEDBACK), {}),
    "FL406": (edit(("fill = next_open()", "fill = close()")), BASE, {}),
    # ---- parameters, settings and components ----
    "FL501": (edit(("param fast: int = 10", "param fast: int = 1.5")), BASE, {}),
    "FL502": (edit(("sma(close, fast)", "sma(close)")), BASE, {}),
    "FL503": (edit(("sma(close, fast)", "smaa(close, fast)")), BASE, {}),
    "FL504": (edit(("size = fixed(100) }", "size = fixed(100); sizing = 3 }")),
              edit(("size = fixed(100) }", "size = fixed(100); max_position = 3 }")), {}),
    "FL505": (edit(("communication = p\n", "communication = p\n    sweep fats in [5, 10]\n")),
              edit(("communication = p\n", "communication = p\n    sweep fast in [5, 10]\n")), {}),
    "FL506": (edit(("param slow: int = 30", "param slow: int = 30\nparam spare: int = 1")),
              edit(("param slow: int = 30", "param slow: int = 30\nparam spare: int = 1"),
                   ("communication = p\n", "communication = p\n    sweep spare in [1, 2]\n")), {}),
    "FL507": (edit(("slow_ma = sma(close, slow)", "slow_ma = sma(close, slow)\n            spare = ema(close, 5)")),
              edit(("slow_ma = sma(close, slow)", "base = ema(close, 5)\n            slow_ma = sma(base, slow)")), {}),
    "FL508": (edit(("strategy { signal = crossover(fast_ma, slow_ma) }", "strategy { active = fast_ma > 0 }")),
              edit(("strategy { signal = crossover(fast_ma, slow_ma) }",
                    "strategy { signal = crossover(fast_ma, slow_ma); active = fast_ma > 0 }")), {}),
    "FL509": (edit(("size = fixed(100) }", 'size = fixed(100); combine = "max" }')),
              edit(("size = fixed(100) }", 'size = fixed(100); combine = "mean" }')), {}),
    "FL510": (edit(('sample("sp500")', 'sample("sp500", sym = "X")')),
              edit(('sample("sp500")', 'sample("sp500", symbol = "X")')), {}),
    "FL511": (BASE, BASE, {"overrides": ("fast=abc",)}),
    "FL512": (edit(("sma(close, slow)", "shift(sma(close, slow), -1)")),
              edit(("sma(close, slow)", "shift(sma(close, slow), 1)")), {}),
    # ---- style ----
    "FL902": (edit(("param slow: int = 30", "param slowMA: int = 30"), ("sma(close, slow)", "sma(close, slowMA)")),
              BASE, {}),
}


def test_base_is_clean():
    assert diagnostics(BASE, passes=RUN_PASSES) == []


@pytest.mark.parametrize("code", sorted(CASES))
def test_code_is_reported(code):
    bad, _, kwargs = CASES[code]
    found = diagnostics(bad, **kwargs)
    assert code in {d.code for d in found}, found
    for d in found:
        assert d.code in RULES
        if d.code == code:
            assert d.severity is RULES[code].severity  # the catalogue's severity, always


@pytest.mark.parametrize("code", sorted(CASES))
def test_close_snippet_is_not_reported(code):
    _, good, kwargs = CASES[code]
    if "workflow" in kwargs or "overrides" in kwargs:
        kwargs = {}  # the same file, asked the right way
    assert code not in codes(good, **kwargs)


def test_every_graph_code_has_a_pass():
    graph_codes = {c for c in RULES if c.startswith("FL4")} | {"FL304", "FL306", "FL307", "FL506", "FL507", "FL902"}
    assert graph_codes <= set(CASES)
    assert len(set(RUN_PASSES)) == len(RUN_PASSES) == len(PASSES) + 1


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.flow")), ids=lambda p: p.name)
def test_examples_lint_clean(path, monkeypatch):
    monkeypatch.chdir(ROOT)
    sources = load(path.relative_to(ROOT))
    analysis = analyse(sources)
    assert analysis.graph is not None
    assert [*analysis.diagnostics, *lint(analysis, RUN_PASSES)] == []


# ---- messages and spans ------------------------------------------------------------


def test_algebraic_loop_prints_the_cycle_at_the_closing_route():
    text = edit(add_route("route portfolio -> risk : PORTFOLIO"))
    (d,) = [d for d in diagnostics(text) if d.code == "FL401"]
    assert d.message == "algebraic loop: risk -> execution -> portfolio -> risk"
    assert d.span is not None and text.splitlines()[d.span.line - 1].strip() == "route portfolio -> risk : PORTFOLIO"
    assert d.hint is not None and "feedback portfolio -> risk : PORTFOLIO" in d.hint


def test_one_algebraic_loop_per_strongly_connected_component():
    text = edit(("param fast", "role relay { consumes SIGNAL; produces SIGNAL }\nparam fast"),
                *(add_container(f"{n}: relay {{}}") for n in "abcd"),
                add_route("pipeline strategy -> a -> b -> a"), add_route("pipeline c -> d -> c"),
                add_route("route a, c -> risk : SIGNAL"), add_route("route strategy -> c : SIGNAL"))
    loops = sorted(d.message for d in diagnostics(text) if d.code == "FL401")
    assert loops == ["algebraic loop: a -> b -> a", "algebraic loop: c -> d -> c"]


def test_self_loop_is_an_algebraic_loop():
    text = edit(("param fast", "role relay { consumes SIGNAL; produces SIGNAL }\nparam fast"),
                add_container("a: relay {}"), add_route("pipeline strategy -> a -> risk"),
                add_route("route a -> a : SIGNAL"))
    assert [d.message for d in diagnostics(text) if d.code == "FL401"] == ["algebraic loop: a -> a"]


def test_feedback_on_a_cycle_is_quiet_and_names_the_route_otherwise():
    (d,) = [d for d in diagnostics(edit(add_route("feedback data -> features : BAR"))) if d.code == "FL405"]
    assert "`data -> features : BAR`" in d.message and "`features` does not reach `data`" in d.message
    two_way = edit(("param fast", "role relay { consumes SIGNAL; produces SIGNAL }\nparam fast"),
                   add_container("a: relay {}"), add_container("b: relay {}"),
                   add_route("pipeline strategy -> a -> b -> risk"), add_route("feedback b -> a : SIGNAL"))
    assert "FL405" not in codes(two_way)


def test_a_close_fill_names_the_setting_that_read_the_bar_and_is_quiet_on_the_open():
    (d,) = [d for d in diagnostics(edit(("fill = next_open()", "fill = close()"))) if d.code == "FL406"]
    assert "whose close `features.fast_ma` read" in d.message
    only_open = edit(("fill = next_open()", "fill = close()"), ("sma(close, fast)", "sma(open, fast)"),
                     ("sma(close, slow)", "sma(open, slow)"))
    assert "FL406" not in codes(only_open)


BAR_TO_STRATEGY = "broadcast data -> strategy, execution, portfolio : BAR"
LEVELS = ["limit({level})", "stop({level})", "stop_limit({level}, 1.01 * close)", "stop_limit(high, {level})"]
PEEKS = ["shift(low, -1)", "shift(low, 0)", "low - diff(low, -1)", "low * (1 + pct_change(low, 0))"]


@pytest.mark.parametrize("entry", LEVELS)
@pytest.mark.parametrize("peek", PEEKS)
def test_a_level_that_reads_the_bar_it_is_checked_against_is_refused(entry, peek):
    """Issue 16 item 6a. A working order is checked from the bar after its decision (docs/semantics.md,
    section 7), so its level can only read that bar through a lag below 1: FL512, wherever the level is."""
    def with_level(level: str) -> str:
        entry_of_level = f"risk {{ size = fixed(100); entry = {entry.format(level=level)} }}"
        return edit(("risk { size = fixed(100) }", entry_of_level),
                    (BAR_TO_STRATEGY, BAR_TO_STRATEGY.replace("strategy,", "strategy, risk,")))
    assert "FL512" in codes(with_level(peek))
    assert codes(with_level("shift(low, 1)")) == set()


def test_missing_inputs_are_each_named():
    text = edit(("risk { size = fixed(100) }", "risk { size = percent_equity(10); max_drawdown = 20 }"),
                ("pipeline data -> features -> strategy -> risk -> execution -> portfolio",
                 "pipeline data -> features -> strategy\n    pipeline risk -> execution"),
                ("broadcast data -> strategy, execution, portfolio : BAR", "broadcast data -> strategy : BAR"))
    found = sorted(d.message.split(", and")[0] for d in diagnostics(text) if d.code == "FL304")
    assert found == [
        "the execution container `execution` has no BAR input",
        "the portfolio container `portfolio` has no BAR input",
        "the portfolio container `portfolio` has no FILL input",
        "the risk container `risk` has no PORTFOLIO input",
        "the risk container `risk` has no SIGNAL input",
    ]


def test_portfolio_without_feedback_is_complete():
    assert not {"FL403", "FL404"} & codes(BASE)


def test_unused_feature_counts_guards_and_local_reads():
    read_by_guard = edit(("slow_ma = sma(close, slow)", "slow_ma = sma(close, slow)\n            gate = ema(close, 5)"),
                         ("pipeline data -> features -> strategy -> risk",
                          "pipeline data -> features\n    route features -> strategy : FEATURE when gate > 0\n"
                          "    pipeline strategy -> risk"))
    assert "FL507" not in codes(read_by_guard)


def test_unused_checks_wait_for_a_clean_binding():
    broken = edit(("param slow: int = 30", "param slow: int = 30\nparam spare: int = 1"),
                  ("sma(close, fast)", "smaa(close, fast)"))
    assert "FL503" in codes(broken) and not {"FL506", "FL507"} & codes(broken)


def test_unused_warnings_need_every_workflow_to_agree():
    text = edit(("param slow: int = 30", "param slow: int = 30\nparam spare: int = 1"),
                ("workflow w {", "workflow v {\n    containers = c\n    communication = p\n"
                                 "    sweep spare in [1, 2]\n}\n\nworkflow w {"))
    alone = [d.code for d in diagnostics(text, workflow="w")]
    assert "FL506" in alone
    both = lint_workflows([analysed(text, "w"), analysed(text, "v")])
    assert "FL506" not in {d.code for d in both}


def test_lint_workflows_reports_shared_diagnostics_once():
    text = edit(("param slow: int = 30", "param slowMA: int = 30"), ("sma(close, slow)", "sma(close, slowMA)"),
                ("workflow w {", "workflow v {\n    containers = c\n    communication = p\n}\n\nworkflow w {"))
    found = lint_workflows([analysed(text, "w"), analysed(text, "v")])
    assert [d.code for d in found] == ["FL902"]


def test_role_not_runnable_is_opt_in_for_lint():
    text = CASES["FL307"][0]
    assert "FL307" not in codes(text)
    found = [d for d in diagnostics(text, passes=RUN_PASSES) if d.code == "FL307"]
    assert any("`hedge`" in d.message and "`hedger`" in d.message for d in found)


def test_naming_suggests_the_conventional_spelling():
    text = edit(("param fast", "event myTick { price: f64 }\nparam fast"),
                ("features: feature {", "Features: feature {"), ("-> features ->", "-> Features ->"))
    hints = sorted((d.message, d.hint) for d in diagnostics(text) if d.code == "FL902")
    assert hints == [("the container `Features` is not snake_case", "e.g. `features`"),
                     ("the event `myTick` is not UPPER_CASE", "e.g. `MY_TICK`")]


def test_no_graph_means_no_graph_passes():
    analysis = analysed(BASE, workflow="nope")
    assert analysis.graph is None
    assert lint(analysis, RUN_PASSES) == []


def test_witness_cycle_is_a_real_cycle():
    g = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "b")])
    cycle = witness_cycle(g, {"a", "b", "c", "d"}, "a")
    assert cycle[0] == cycle[-1] == "a"
    assert all(g.has_edge(u, v) for u, v in itertools.pairwise(cycle))


# ---- property tests: random topologies through the text -------------------------------


@st.composite
def topologies(draw) -> dict:
    """A valid topology: data, features, strategies, SIGNAL relays (a user role), risk, execution, portfolio."""
    n = {role: draw(st.integers(1, hi)) for role, hi in
         (("data", 2), ("feature", 3), ("strategy", 3), ("risk", 2), ("execution", 2), ("portfolio", 2))}
    n["relay"] = draw(st.integers(0, 3))
    names = {role: [f"{role[0]}{i}" if role != "relay" else f"relay{i}" for i in range(k)] for role, k in n.items()}
    edges: list[tuple[str, str, str]] = []
    pick = lambda role: draw(st.sampled_from(names[role]))  # noqa: E731
    reads: dict[str, str] = {}
    for f in names["feature"]:
        edges.append((pick("data"), f, "BAR"))
    for s in names["strategy"]:
        reads[s] = pick("feature")
        edges.append((reads[s], s, "FEATURE"))
        if draw(st.booleans()):
            edges.append((pick("data"), s, "BAR"))
    relays = names["relay"]
    for i, r in enumerate(relays):
        edges.append((pick("strategy"), r, "SIGNAL"))
        for later in relays[i + 1:]:
            if draw(st.booleans()):
                edges.append((r, later, "SIGNAL"))
    for k in names["risk"]:
        edges.append((pick("strategy"), k, "SIGNAL"))
        if relays and draw(st.booleans()):
            edges.append((pick("relay"), k, "SIGNAL"))
        edges.append((k, pick("execution"), "ORDER"))
    for e in names["execution"]:
        edges.append((pick("data"), e, "BAR"))
        edges.append((e, pick("portfolio"), "FILL"))
    for p in names["portfolio"]:
        edges.append((pick("data"), p, "BAR"))
        if not any(t == p and ev == "FILL" for _, t, ev in edges):
            edges.append((pick("execution"), p, "FILL"))
    sizing = {k: draw(st.sampled_from(["fixed(10)", "percent_equity(5)"])) for k in names["risk"]}
    feedback = [(pick("portfolio"), k) for k in names["risk"]
                if sizing[k].startswith("percent") or draw(st.booleans())]
    forms = [draw(st.sampled_from(["pipeline", "route", "broadcast"])) for _ in edges]
    return {"names": names, "reads": reads, "sizing": sizing, "edges": list(dict.fromkeys(edges)),
            "forms": forms, "feedback": feedback}


def render(t: dict, extra: tuple[str, ...] = ()) -> str:
    names = t["names"]
    lines = ["role relay { consumes SIGNAL; produces SIGNAL }", "", "containers generated {", "    root: backtest {"]
    for i, d in enumerate(names["data"]):
        lines.append(f'        {d}: data {{ source = synthetic(bars = 50, seed = {i}) }}')
    for f in names["feature"]:
        lines.append(f"        {f}: feature {{ {f}_a = sma(close, 3); {f}_b = ema(close, 5) }}")
    for s in names["strategy"]:
        f = t["reads"][s]
        lines.append(f"        {s}: strategy {{ signal = crossover({f}_a, {f}_b) }}")
    lines += [f"        {r}: relay {{}}" for r in names["relay"]]
    lines += [f"        {k}: risk {{ size = {t['sizing'][k]} }}" for k in names["risk"]]
    lines += [f"        {e}: execution {{ fill = next_open() }}" for e in names["execution"]]
    lines += [f"        {p}: portfolio {{ cash = 100_000 }}" for p in names["portfolio"]]
    lines += ["    }", "}", "", "communication wiring {"]
    for (a, b, event), form in zip(t["edges"], t["forms"], strict=False):
        lines.append(f"    pipeline {a} -> {b}" if form == "pipeline" else f"    {form} {a} -> {b} : {event}")
    lines += [f"    feedback {p} -> {k} : PORTFOLIO" for p, k in t["feedback"]]
    lines += [f"    {line}" for line in extra]
    lines += ["}", "", "workflow generated {", "    containers = generated", "    communication = wiring", "}", ""]
    return "\n".join(lines)


PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(topologies())
def test_random_acyclic_topologies_have_no_errors(t):
    text = render(t)
    found = diagnostics(text)
    assert [d for d in found if d.is_error] == [], text


@PROPERTY
@given(topologies(), st.data())
def test_a_route_that_closes_a_forward_cycle_is_an_algebraic_loop(t, data):
    before = analysed(render(t))
    assert before.graph is not None
    forward = before.graph.forward_graph()
    # Forward routes the roles allow that point back up the graph: PORTFOLIO to a risk container
    # that reaches the portfolio, SIGNAL from a relay to a relay (or itself) that reaches it.
    closing = [(p, k, "PORTFOLIO") for p in t["names"]["portfolio"] for k in t["names"]["risk"]
               if nx.has_path(forward, k, p)]
    closing += [(a, b, "SIGNAL") for a in t["names"]["relay"] for b in t["names"]["relay"]
                if a == b or nx.has_path(forward, b, a)]
    assume(closing)
    source, target, event = data.draw(st.sampled_from(closing))
    after = analysed(render(t, (f"route {source} -> {target} : {event}",)))
    loops = [d for d in lint(after) if d.code == "FL401"]
    assert loops
    graph = after.graph.forward_graph()
    for d in loops:
        cycle = re.fullmatch(r"algebraic loop: (.*)", d.message).group(1).split(" -> ")
        assert cycle[0] == cycle[-1] and len(cycle) >= 2
        assert all(graph.has_edge(u, v) for u, v in itertools.pairwise(cycle)), d.message
    assert any(source in re.findall(r"[\w.]+", d.message) for d in loops)


EXAMPLE_TEXTS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("*.flow"))
                 if "import" not in p.read_text(encoding="utf-8")]
WORDS = ["data", "features", "risk", "portfolio", "classifier", "trend", "BAR", "SIGNAL", "PORTFOLIO", "->",
         ",", "feedback", "route", "x", "1", "close", "fast_ma", "{", "}"]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(EXAMPLE_TEXTS), st.lists(st.tuples(st.integers(0, 200), st.integers(0, 30),
                                                          st.sampled_from([*WORDS, None])), min_size=1, max_size=3))
def test_lint_never_raises_on_broken_examples(text, edits):
    """Bad input gives diagnostics, never an exception: examples with a word replaced or a line dropped (None)."""
    lines = text.splitlines()
    for line, word, replacement in edits:
        at = line % len(lines)
        if replacement is None:
            del lines[at]
            continue
        words = lines[at].split(" ")
        words[word % len(words)] = replacement
        lines[at] = " ".join(words)
    analysis = analyse(load_text("\n".join(lines), "broken.flow"))
    lint_workflows([analysis], RUN_PASSES)
