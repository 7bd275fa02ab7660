"""One mistake, one message: what follows from a diagnostic is folded into it, and messages say what a file holds."""

from __future__ import annotations

from flowc.compiler.lint import lint
from flowc.compiler.plan import build_plan
from flowc.compiler.workflow import analyse
from flowc.dsl.loader import load_text
from tests.compiler.test_lint import BASE, add_container, add_route, edit


def found(text: str, workflow: str | None = None) -> list:
    analysis = analyse(load_text(text, "case.flow"), workflow)
    return [*analysis.diagnostics, *(lint(analysis) if analysis.graph is not None else [])]


# ---- FL208 words what the file holds --------------------------------------------------------


def test_a_file_that_imports_its_only_workflow_is_told_to_name_it():
    text = 'import "std/simple_backtest.flow"\nparam spare: int = 1\n'
    [d] = [d for d in found(text) if d.code == "FL208"]
    assert d.message == ("`case.flow` declares no workflow; it imports `simple_backtest`; "
                         "run it with -w simple_backtest")


def test_a_file_with_two_own_workflows_counts_them():
    text = BASE + "\nworkflow w2 {\n    containers = c\n    communication = p\n}\n"
    [d] = [d for d in found(text) if d.code == "FL208"]
    assert d.message == "`case.flow` declares 2 workflows; choose one with -w" and d.hint == "workflows: w, w2"


# ---- a setting whose definition failed is still declared -------------------------------------


def test_a_use_of_a_setting_whose_definition_failed_is_no_new_error():
    text = edit(("slow_ma = sma(close, slow)", "slow_ma = sma(close, slow)\n            a = lgo(close)\n"
                                               "            b = sma(a, 3) + 1"))
    problems = found(text)
    assert [d.code for d in problems] == ["FL503"], problems
    assert "`lgo`" in problems[0].message


def test_an_unknown_name_beside_a_failed_one_is_still_reported():
    text = edit(("slow_ma = sma(close, slow)", "slow_ma = sma(close, slow)\n            a = lgo(close)\n"
                                               "            b = sma(zz, 3) + a"))
    assert sorted(d.code for d in found(text)) == ["FL201", "FL503"]


# ---- an unreachable container's reads follow from FL402 ---------------------------------------


def test_an_unreachable_container_reading_bar_fields_is_one_warning_and_plans():
    text = edit(add_container("orphan: feature { z = sma(close, 5) + high }"))
    analysis = analyse(load_text(text, "case.flow"))
    problems = [*analysis.diagnostics, *lint(analysis)]
    assert "FL209" not in {d.code for d in problems} and "FL402" in {d.code for d in problems}
    assert not any(d.is_error for d in problems), problems
    plan, errors = build_plan(analysis)
    assert plan is not None and errors == []


def test_a_reachable_container_without_bar_still_gets_fl209():
    text = edit(add_container("s2: strategy { signal = crossover(close, fast_ma) }"),
                add_route("route features -> s2 : FEATURE"), add_route("route s2 -> risk : SIGNAL"))
    assert "FL209" in {d.code for d in found(text)}


# ---- lint checks a file's patterns, workflow or not -------------------------------------------

PATTERNS = BASE[:BASE.index("workflow w")].replace("sma(close, fast)", "smaa(close, fast)").replace(
    "size = fixed(100) }", "size = fixed(100); stop_los = 5 }").replace("portfolio : BAR", "portfolio : BARS")


def test_lint_of_a_pattern_file_without_a_workflow_reports_its_mistakes():
    from flowc.tools.commands.lint import lint_file

    problems = lint_file(load_text(PATTERNS, "patterns.flow"))
    assert sorted((d.code, d.span.line) for d in problems) == [("FL210", 20), ("FL503", 8), ("FL504", 12)], problems
    assert lint_file(load_text(BASE[:BASE.index("workflow w")], "clean.flow")) == []


def test_a_pattern_a_workflow_pairs_is_reported_once():
    from flowc.tools.commands.lint import lint_file

    paired = PATTERNS + "\nworkflow w {\n    containers = c\n    communication = p\n}\n"
    codes = [d.code for d in lint_file(load_text(paired, "paired.flow"))]
    assert [codes.count(c) for c in ("FL210", "FL503", "FL504")] == [1, 1, 1], codes
