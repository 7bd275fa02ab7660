"""The compiler's pipeline (`compiler/pipeline.py`): its stages in order, the driver, one verdict on "can this run"."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowc.compiler import pipeline
from flowc.compiler.optimize import pass_names
from flowc.compiler.pipeline import NAMES, compile_to
from flowc.tools.cli import main

ROOT = Path(__file__).resolve().parents[2]
SIMPLE = ROOT / "examples" / "simple_backtest.flow"
CLEAN = SIMPLE.read_text(encoding="utf-8")
# a container of a user-declared role: lint accepts it, a run cannot
USER_ROLE = CLEAN.replace("param fast", "role hedger { consumes SIGNAL, BAR, PORTFOLIO; produces ORDER }\n"
                          "param fast").replace("risk: risk {", "risk: hedger {")


def test_the_stages_in_order():
    assert NAMES == ("load", "analyse", "lint", "plan", "optimise", "generate")
    text = pipeline.describe()
    assert [line.split()[1] for line in text.splitlines() if line[0].isdigit()] == list(NAMES)


@pytest.mark.parametrize("stage", NAMES)
def test_compile_to_stops_at_the_stage_asked_for(stage):
    c = compile_to(SIMPLE, stage)
    assert c.ok and c.reached == stage
    after = NAMES[NAMES.index(stage) + 1:]
    assert all(c.output(later) is None for later in after)
    assert all(c.output(done) is not None for done in NAMES[:NAMES.index(stage) + 1])


def test_the_plan_after_each_pass_is_kept():
    c = compile_to(SIMPLE, "optimise")
    assert [name for name, _ in c.passes] == list(pass_names())
    assert c.passes[-1][1] is c.optimise


def test_an_error_stops_the_pipeline_and_is_a_value(tmp_path):
    path = tmp_path / "bad.flow"
    path.write_text(CLEAN.replace("sma(close, fast)", "sma(clsoe, fast)"), encoding="utf-8")
    c = compile_to(path, "generate")
    assert not c.ok and c.reached == "analyse" and c.plan is None
    assert [d.code for d in c.diagnostics if d.is_error] == ["FL201"]
    linted = compile_to(path, "lint")  # lint collects: it runs on an analysis with errors
    assert linted.reached == "lint"


def test_a_workflow_that_cannot_run_is_refused_by_the_plan_stage(tmp_path):
    path = tmp_path / "hedged.flow"
    path.write_text(USER_ROLE, encoding="utf-8")
    assert compile_to(path, "lint").ok  # valid for lint and graph
    c = compile_to(path, "generate")
    assert c.reached == "plan" and c.plan is None
    (d,) = [d for d in c.diagnostics if d.is_error]
    assert d.code == "FL307" and "`risk`" in d.message and "`hedger`" in d.message


def test_run_and_compile_give_the_same_fl307(tmp_path, capsys, monkeypatch):
    """`flowc run` and `flowc compile --emit plan` once gave two FL307 messages at two positions."""
    monkeypatch.chdir(tmp_path)
    Path("hedged.flow").write_text(USER_ROLE, encoding="utf-8")
    errors = {}
    for argv in (["run", "hedged.flow", "--quiet"], ["compile", "hedged.flow", "--emit", "plan"],
                 ["compile", "hedged.flow", "--emit", "py"]):
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == 1 and out == ""
        errors[argv[0] + argv[-1]] = err
    assert len(set(errors.values())) == 1, errors
    (err,) = set(errors.values())
    line = next(n for n, text in enumerate(USER_ROLE.splitlines(), 1) if "risk: hedger" in text)
    assert "FL307" in err and f"hedged.flow:{line}:" in err
    column = USER_ROLE.splitlines()[line - 1].index("hedger") + 1
    assert f"hedged.flow:{line}:{column}" in err  # at the role's name, as `flowc lint --select FL307` says


def test_compile_lists_the_stages(capsys):
    assert main(["compile", "--stages"]) == 0
    out = capsys.readouterr().out
    assert out == pipeline.describe() and all(name in out for name in NAMES)


def test_an_unknown_form_is_a_usage_error(capsys):
    assert main(["compile", str(SIMPLE), "--emit", "nope"]) == 2
    assert "flowc compile --stages" in capsys.readouterr().err


def test_emit_plan_is_readable(capsys):
    assert main(["compile", str(SIMPLE), "--emit", "plan"]) == 0
    out = capsys.readouterr().out
    assert "    fast_ma = sma(close, $fast)\n" in out and "    size = fixed(100)\n" in out
    assert "slots\n    0  $fast = 10\n    1  $slow = 30\n" in out
    assert "Plan(" not in out and "Slot(" not in out


def test_emit_plan_after_one_pass(capsys):
    assert main(["compile", str(SIMPLE), "--emit", "plan:dead_containers"]) == 0
    after_one = capsys.readouterr().out
    assert main(["compile", str(SIMPLE), "--emit", "passes"]) == 0
    every = capsys.readouterr().out
    assert "# ---- after dead_containers\n" + after_one in every
    assert every.count("# ---- after ") == 1 + len(pass_names())
