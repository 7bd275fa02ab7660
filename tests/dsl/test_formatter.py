"""The formatter keeps meaning and comments, is idempotent, and leaves the examples as they are."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowc.dsl import ast
from flowc.dsl.diagnostics import FlowError
from flowc.dsl.formatter import format_expr, format_module, format_source
from flowc.dsl.parser import parse
from flowc.tools.cli import main

from .strategies import messy_layouts, modules

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "fmt"
GOLDEN = sorted(p for p in FIXTURES.glob("*.flow") if not p.name.endswith(".expected.flow"))
EXAMPLES = sorted([*(ROOT / "examples").glob("*.flow"), *(ROOT / "dsl" / "std").glob("*.flow")])

PROPERTY = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def comment_texts(text: str) -> list[str]:
    return [comment.text for comment in parse(text).comments]


# ---- golden files and examples ---------------------------------------------------------


def test_there_are_enough_golden_fixtures():
    assert len(GOLDEN) >= 8


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.stem)
def test_golden(path: Path):
    source = path.read_text(encoding="utf-8")
    expected = path.with_suffix(".expected.flow").read_text(encoding="utf-8")
    formatted = format_source(source, path.name)
    assert formatted == expected
    assert parse(formatted) == parse(source)
    assert comment_texts(formatted) == comment_texts(source)
    assert format_source(expected) == expected


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_examples_are_fixed_points(path: Path):
    text = path.read_text(encoding="utf-8")
    assert format_source(text, str(path)) == text


# ---- expressions ---------------------------------------------------------------------------

a, b, c = ast.Name("a"), ast.Name("b"), ast.Name("c")


def binary(op: str, left: ast.Expr, right: ast.Expr) -> ast.Binary:
    return ast.Binary(op, left, right)


@pytest.mark.parametrize(("expr", "text"), [
    (binary("-", binary("-", a, b), c), "a - b - c"),
    (binary("-", a, binary("-", b, c)), "a - (b - c)"),
    (binary("*", binary("+", a, b), c), "(a + b) * c"),
    (binary("+", a, binary("*", b, c)), "a + b * c"),
    (binary("<", binary("<", a, b), c), "(a < b) < c"),
    (binary("==", ast.Unary("not", a), b), "(not a) == b"),
    (ast.Unary("not", binary("==", a, b)), "not a == b"),
    (ast.Unary("not", binary("and", a, b)), "not (a and b)"),
    (binary("and", a, ast.Unary("not", b)), "a and not b"),
    (binary("or", binary("and", a, b), c), "a and b or c"),
    (binary("and", a, binary("or", b, c)), "a and (b or c)"),
    (ast.Unary("-", binary("*", a, b)), "-(a * b)"),
    (binary("*", ast.Unary("-", a), b), "-a * b"),
    (ast.Unary("-", ast.Unary("-", ast.Number(1))), "--1"),
    (ast.Unary("-", ast.Unary("not", a)), "-(not a)"),
    (ast.Number(1_000_000, "1_000_000"), "1_000_000"),
    (ast.Number(0.001), "0.001"),
    (ast.String('say "hi" \\ bye'), r'"say \"hi\" \\ bye"'),
    (ast.Call("sample", (ast.String("sp500"),), (ast.Keyword("symbol", ast.String("SPX")),)),
     'sample("sp500", symbol = "SPX")'),
    (ast.ListExpr((ast.Bool(True), ast.ListExpr(()))), "[true, []]"),
])
def test_expressions_get_only_the_parentheses_they_need(expr: ast.Expr, text: str):
    assert format_expr(expr) == text
    assert parse(f"param p: int = {text}").declarations[0].default == expr


def test_a_long_operator_chain_does_not_recurse_per_operand():
    text = "param p: int = " + " + ".join(["x"] * 1000) + "\n"
    assert format_source(text) == text


def test_bad_input_raises_flow_error():
    with pytest.raises(FlowError) as raised:
        format_source("containers c {\n    x = \n}\n", "bad.flow")
    assert raised.value.diagnostics[0].span.path == "bad.flow"


def test_a_file_of_only_comments_and_an_empty_file():
    assert format_source("  # one\n\n\n# two") == "# one\n\n# two\n"
    assert format_source("\n\n") == ""


# ---- properties ------------------------------------------------------------------------------


@settings(PROPERTY, max_examples=100)
@given(modules())
def test_formatting_a_tree_round_trips(module: ast.Module):
    text = format_module(module)
    assert parse(text) == module
    assert format_source(text) == text


@settings(PROPERTY, max_examples=75)
@given(modules(max_declarations=4), st.data())
def test_any_layout_of_a_program_formats_to_the_same_program_and_keeps_its_comments(module, data):
    messy = data.draw(messy_layouts(format_module(module)), label="messy")
    assert parse(messy) == module  # the layout strategy itself keeps the meaning
    formatted = format_source(messy)
    assert parse(formatted) == module
    assert sorted(comment_texts(formatted)) == sorted(comment_texts(messy))
    assert format_source(formatted) == formatted


@st.composite
def commented_examples(draw: st.DrawFn) -> str:
    """An example with comments added at the ends of lines and on lines of their own."""
    lines = draw(st.sampled_from(EXAMPLES)).read_text(encoding="utf-8").splitlines()
    for n in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(lines)))
        if at < len(lines) and draw(st.booleans()):
            lines[at] += draw(st.sampled_from(["", " ", "    "])) + f"# added {n}"
        else:
            lines.insert(at, draw(st.sampled_from(["", "  ", "\t", " " * 9])) + f"# added {n}")
    return "\n".join(lines) + "\n"


@settings(PROPERTY, max_examples=50)
@given(commented_examples())
def test_comments_added_to_the_examples_are_all_kept(text: str):
    formatted = format_source(text)
    assert sorted(comment_texts(formatted)) == sorted(comment_texts(text))
    assert parse(formatted) == parse(text)
    assert format_source(formatted) == formatted


# ---- flowc fmt -----------------------------------------------------------------------------

MESSY = "param fast:int=10\ncontainers c{root:backtest{x=1}}\n"
TIDY = format_source(MESSY)


@pytest.fixture
def messy_file(tmp_path: Path) -> Path:
    path = tmp_path / "messy.flow"
    path.write_text(MESSY, encoding="utf-8")
    return path


def test_fmt_rewrites_a_file_in_place(messy_file: Path, capsys):
    assert main(["fmt", str(messy_file)]) == 0
    assert messy_file.read_text(encoding="utf-8") == TIDY
    assert "reformatted" in capsys.readouterr().out
    assert [p.name for p in messy_file.parent.iterdir()] == ["messy.flow"]  # no temporary file left


def test_fmt_leaves_a_tidy_file_untouched(messy_file: Path, capsys):
    messy_file.write_text(TIDY, encoding="utf-8")
    os.utime(messy_file, ns=(0, 0))
    assert main(["fmt", str(messy_file)]) == 0
    assert messy_file.stat().st_mtime_ns == 0
    assert capsys.readouterr().out == ""


def test_fmt_check_lists_files_that_would_change_and_changes_nothing(messy_file: Path, tmp_path: Path, capsys):
    tidy = tmp_path / "tidy.flow"
    tidy.write_text(TIDY, encoding="utf-8")
    assert main(["fmt", "--check", str(messy_file), str(tidy)]) == 1
    assert capsys.readouterr().out == f"would reformat {messy_file}\n"
    assert messy_file.read_text(encoding="utf-8") == MESSY
    assert main(["fmt", "--check", str(tidy)]) == 0


def test_fmt_diff_prints_a_unified_diff_and_changes_nothing(messy_file: Path, capsys):
    assert main(["fmt", "--diff", str(messy_file)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"--- {messy_file}\n+++ {messy_file} (formatted)\n")
    assert "-param fast:int=10\n" in out
    assert "+param fast: int = 10\n" in out
    assert messy_file.read_text(encoding="utf-8") == MESSY


def test_fmt_reports_a_file_that_does_not_parse_and_goes_on(messy_file: Path, tmp_path: Path, capsys):
    bad = tmp_path / "bad.flow"
    bad.write_text("param fast: = 10\n", encoding="utf-8")
    assert main(["fmt", str(bad), str(messy_file)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:1:13: FL101" in err
    assert "param fast: = 10" in err  # the source line under the message
    assert bad.read_text(encoding="utf-8") == "param fast: = 10\n"
    assert messy_file.read_text(encoding="utf-8") == TIDY


def test_fmt_reports_invalid_utf8(tmp_path: Path, capsys):
    bad = tmp_path / "latin1.flow"
    bad.write_bytes(b'param label: str = "caf\xe9"\n')
    assert main(["fmt", "--check", str(bad)]) == 1
    assert "FL104" in capsys.readouterr().err


def test_fmt_a_missing_file_is_an_io_error(messy_file: Path, tmp_path: Path, capsys):
    missing = tmp_path / "missing.flow"
    assert main(["fmt", "--check", str(missing), str(messy_file)]) == 2
    captured = capsys.readouterr()
    assert f"flowc: cannot read {missing}" in captured.err
    assert f"would reformat {messy_file}" in captured.out


def test_fmt_does_not_import_numba_or_pandas(messy_file: Path):
    code = ("import sys; from flowc.tools.cli import main; main(['fmt', '--check', sys.argv[1]]); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'numba', 'pandas'}))")
    result = subprocess.run([sys.executable, "-c", code, str(messy_file)], capture_output=True, text=True,
                            check=True)
    assert result.stdout.splitlines()[-1] == "[]"
