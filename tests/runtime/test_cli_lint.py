"""`flowc lint`, `flowc patterns`, `flowc graph` and `flowc compile --emit` as a user runs them.

Golden files under tests/fixtures/lint/ hold the text, JSON and SARIF of one
file with several problems; `FLOWC_UPDATE_GOLDEN=1 pytest ...` rewrites them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flowc.tools.cli import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "lint"
PROBLEMS = "tests/fixtures/lint/problems.flow"
EXAMPLES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "examples").glob("*.flow"))
UPDATE = os.environ.get("FLOWC_UPDATE_GOLDEN") == "1"


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # paths in diagnostics print relative to the working directory


def flowc(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def golden(name: str, actual: str) -> None:
    path = FIXTURES / name
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")


def write(tmp_path: Path, text: str, name: str = "case.flow") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


CLEAN = (ROOT / "examples" / "simple_backtest.flow").read_text(encoding="utf-8")


# ---- outputs -----------------------------------------------------------------------------


def test_golden_text(capsys):
    code, out, err = flowc(capsys, "lint", PROBLEMS)
    assert code == 1
    golden("problems.txt", out)
    assert err == "flowc lint: 2 errors, 2 warnings\n"


def test_golden_json(capsys):
    code, out, _ = flowc(capsys, "lint", PROBLEMS, "--format", "json")
    assert code == 1
    golden("problems.json", out)
    document = json.loads(out)
    assert list(document) == ["format_version", "valid", "error_count", "warning_count", "diagnostics"]
    assert (document["format_version"], document["valid"]) == ("1.0", False)
    assert (document["error_count"], document["warning_count"]) == (2, 2)
    for item in document["diagnostics"]:
        assert {"code", "severity", "message", "path", "line", "column", "end_line", "end_column", "hint"} <= set(item)


def test_json_list_is_the_bare_list_for_one_more_release(capsys):
    code, out, err = flowc(capsys, "lint", PROBLEMS, "--format", "json-list")
    assert code == 1
    assert json.loads(out) == json.loads((FIXTURES / "problems.json").read_text(encoding="utf-8"))["diagnostics"]
    assert "--format json-list is deprecated" in err


def test_json_of_a_clean_file_is_valid_with_warnings_counted(capsys, tmp_path):
    code, out, _ = flowc(capsys, "lint", *EXAMPLES, "--format", "json")
    assert (code, json.loads(out)) == (0, {"format_version": "1.0", "valid": True, "error_count": 0,
                                           "warning_count": 0, "diagnostics": []})
    code, out, _ = flowc(capsys, "lint", write(tmp_path, CLEAN + "param spare: int = 1\n"), "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["valid"] and (document["error_count"], document["warning_count"]) == (0, 1)


def test_json_says_invalid_when_a_file_cannot_be_read(capsys, tmp_path):
    code, out, err = flowc(capsys, "lint", str(tmp_path / "missing.flow"), *EXAMPLES, "--format", "json")
    assert code == 2 and "cannot read" in err
    assert json.loads(out) == {"format_version": "1.0", "valid": False, "error_count": 0, "warning_count": 0,
                               "diagnostics": []}


def test_golden_sarif(capsys):
    code, out, _ = flowc(capsys, "lint", PROBLEMS, "--format", "sarif")
    assert code == 1
    log = json.loads(out)
    driver = log["runs"][0]["tool"]["driver"]
    driver["version"] = "VERSION"  # the installed version is not part of the format
    golden("problems.sarif", json.dumps(log, indent=2) + "\n")
    assert log["version"] == "2.1.0"
    rules = driver["rules"]
    assert all("helpUri" not in r for r in rules)
    for result in log["runs"][0]["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1


@pytest.mark.parametrize("path", EXAMPLES)
def test_examples_are_clean(capsys, path):
    code, out, err = flowc(capsys, "lint", path)
    assert (code, out) == (0, "")
    assert "no problems" in err


def test_several_files_and_shared_imports_report_once(capsys):
    code, out, err = flowc(capsys, "lint", *EXAMPLES, "--format", "json")
    assert (code, json.loads(out)["diagnostics"]) == (0, [])
    assert "no problems" not in err  # the summary is for text only


# ---- exit codes --------------------------------------------------------------------------


def test_warnings_alone_exit_zero(capsys, tmp_path):
    path = write(tmp_path, CLEAN.replace("param slow: int = 30", "param slow: int = 30\nparam spare: int = 1"))
    code, out, _ = flowc(capsys, "lint", path)
    assert code == 0 and "FL506 warning: the param `spare` is never read" in out


def test_missing_file_is_an_io_error(capsys):
    code, out, err = flowc(capsys, "lint", "no/such/file.flow", *EXAMPLES[:1])
    assert code == 2 and out == ""
    assert "cannot read `no/such/file.flow`" in err and "Traceback" not in err


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_unknown_selector_is_a_usage_error(capsys, option):
    code, _, err = flowc(capsys, "lint", PROBLEMS, option, "FL999")
    assert code == 2 and "`FL999` is not a code" in err


def test_syntax_error_is_a_diagnostic_not_a_traceback(capsys, tmp_path):
    code, out, err = flowc(capsys, "lint", write(tmp_path, "param = 3\n"))
    assert code == 1 and "FL101" in out and "Traceback" not in err


def test_set_passes_through_to_analysis(capsys):
    code, out, _ = flowc(capsys, "lint", EXAMPLES[0], "--set", "fast=abc")
    assert code == 1 and "FL511" in out


def test_a_file_without_workflows_lints_its_declarations(capsys, tmp_path):
    text = 'import "std/simple_backtest.flow"\nparam fastMA: int = 3\nevent tick { price: f64 }\n'
    code, out, _ = flowc(capsys, "lint", write(tmp_path, text), "--format", "json")
    assert code == 0
    # no FL208: no workflow is asked for
    assert [d["code"] for d in json.loads(out)["diagnostics"]] == ["FL902", "FL902"]


# ---- selection and suppression ---------------------------------------------------------------


def json_codes(capsys, *argv: str) -> list[str]:
    _, out, _ = flowc(capsys, "lint", *argv, "--format", "json")
    return [d["code"] for d in json.loads(out)["diagnostics"]]


def test_select_and_ignore_take_codes_and_prefixes(capsys):
    assert json_codes(capsys, PROBLEMS) == ["FL506", "FL902", "FL304", "FL401"]
    assert json_codes(capsys, PROBLEMS, "--select", "FL4") == ["FL401"]
    assert json_codes(capsys, PROBLEMS, "--select", "fl401,FL506") == ["FL506", "FL401"]
    assert json_codes(capsys, PROBLEMS, "--select", "FL3", "--select", "FL9") == ["FL902", "FL304"]
    assert json_codes(capsys, PROBLEMS, "--ignore", "FL9,FL5", "--ignore", "FL401") == ["FL304"]
    assert json_codes(capsys, PROBLEMS, "--select", "FL4", "--ignore", "FL401") == []


def test_ignoring_every_error_exits_zero(capsys):
    code, _, _ = flowc(capsys, "lint", PROBLEMS, "--ignore", "FL3,FL4")
    assert code == 0


def test_inline_suppression(capsys, tmp_path):
    text = CLEAN.replace("param slow: int = 30", "param slow: int = 30\nparam a: int = 1\nparam b: int = 1\n"
                         "param c: int = 1\nparam dD: int = 1")
    lines = {"param a: int = 1": "  # flowc: ignore[FL506]", "param b: int = 1": "  # flowc: ignore[FL4]",
             "param c: int = 1": "  # flowc: ignore", "param dD: int = 1": "  # flowc: ignore[FL902, FL506]"}
    for line, comment in lines.items():
        text = text.replace(line, line + comment)
    _, out, _ = flowc(capsys, "lint", write(tmp_path, text), "--format", "json")
    shown = [(d["code"], d["message"]) for d in json.loads(out)["diagnostics"]]
    assert shown == [("FL506", "the param `b` is never read")]


def test_a_suppression_inside_a_string_is_not_a_comment(capsys, tmp_path):
    text = CLEAN.replace('sample("sp500", symbol = "SPX")', 'sample("sp500", symbol = "# flowc: ignore")')
    text = text.replace("param slow: int = 30", "param slow: int = 30\nparam spare: int = 1")
    assert "FL506" in json_codes(capsys, write(tmp_path, text))


def test_role_not_runnable_on_request(capsys, tmp_path):
    text = CLEAN.replace("param fast", "role hedger { consumes FILL; produces ORDER }\nparam fast").replace(
        "        portfolio: portfolio {", "        hedge: hedger {}\n        portfolio: portfolio {").replace(
        "    feedback portfolio", "    route execution -> hedge : FILL\n    feedback hedge -> execution : ORDER\n"
                                 "    feedback portfolio")
    path = write(tmp_path, text)
    assert json_codes(capsys, path) == []
    # the user role and the feedback route of ORDER: everything a run refuses (plan.unrunnable)
    assert json_codes(capsys, path, "--select", "FL307") == ["FL307", "FL307"]


# ---- start-up -------------------------------------------------------------------------------


def test_lint_imports_neither_numba_nor_pandas():
    script = ("import sys\nfrom flowc.tools.cli import main\n"
              f"code = main(['lint', {EXAMPLES[0]!r}, '--format', 'sarif'])\n"
              "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('numba', 'pandas'))\n"
              "print(code, heavy)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "0 []"


# ---- patterns ---------------------------------------------------------------------------------


def test_patterns_of_the_standard_library(capsys):
    code, out, _ = flowc(capsys, "patterns")
    assert code == 0
    assert out.splitlines() == [
        "name             description                                        containers       communication  file",
        "full_backtest    Full backtest with classifier and complex routing  full_backtest    hierarchical   "
        "std/full_backtest.flow",
        "simple_backtest  Simple backtest workflow with linear pipeline      simple_backtest  pipeline       "
        "std/simple_backtest.flow",
    ]


def test_patterns_of_files_include_their_imports(capsys):
    code, out, _ = flowc(capsys, "patterns", "examples/sma_grid.flow", "examples/two_indices.flow")
    assert code == 0
    rows = [line.split()[0] + " " + line.split()[-1] for line in out.splitlines()[1:]]
    assert rows == ["simple_backtest examples/simple_backtest.flow", "sma_grid examples/sma_grid.flow",
                    "two_indices examples/two_indices.flow"]


def test_patterns_of_a_missing_file(capsys):
    code, _, err = flowc(capsys, "patterns", "nope.flow")
    assert code == 2 and "cannot read `nope.flow`" in err


def test_patterns_rich_table_on_a_terminal():
    from flowc.tools.commands.patterns import Entry, rich_table

    table = rich_table([Entry("w", "a workflow", "c", "p", "f.flow")])
    assert "pattern registry" in table and "a workflow" in table


# ---- graph and compile ------------------------------------------------------------------------


def test_graph_formats(capsys):
    code, out, _ = flowc(capsys, "graph", "examples/two_indices.flow")
    assert code == 0 and out.startswith('digraph "two_indices" {')
    code, out, _ = flowc(capsys, "graph", "examples/two_indices.flow", "--format", "mermaid")
    assert code == 0 and out.startswith("flowchart LR")


@pytest.mark.parametrize("emit", ["ast", "graph", "dot", "mermaid"])
def test_compile_emits_a_stage(capsys, emit):
    code, out, _ = flowc(capsys, "compile", "examples/sma_grid.flow", "-w", "sma_grid", "--emit", emit)
    assert code == 0 and out.endswith("\n")
    first = {"ast": "Module @", "graph": "containers simple_backtest", "dot": "digraph", "mermaid": "flowchart"}
    assert out.startswith(first[emit])


def test_compile_of_a_broken_workflow_prints_diagnostics(capsys):
    code, out, err = flowc(capsys, "compile", "examples/sma_grid.flow", "-w", "nope", "--emit", "graph")
    assert (code, out) == (1, "") and "FL208" in err


def test_compile_of_a_missing_file(capsys):
    code, _, err = flowc(capsys, "graph", "nope.flow")
    assert code == 2 and "cannot read" in err


def test_program_emits_refuse_what_lint_refuses(capsys):
    code, out, err = flowc(capsys, "compile", PROBLEMS, "--emit", "plan")
    assert (code, out) == (1, "") and "FL401" in err
