"""Syntax diagnostics as a user reads them: golden files of malformed input, and the rules behind them.

Each `tests/fixtures/syntax/NAME.flow` is loaded (with its imports) and the
`render_text` output is compared with `NAME.expected.txt`, byte for byte. The
test never writes a golden; to accept new output after reviewing it, run

    FLOWC_UPDATE_GOLDENS=1 python -m pytest tests/dsl/test_syntax_errors.py

and read the diff before committing. Files under `syntax/imports/` are only
imported by the goldens, never loaded on their own.
"""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path

import pytest

from flowc.dsl.codes import RULES, rule_page
from flowc.dsl.diagnostics import Diagnostic, FlowError
from flowc.dsl.loader import load, load_text
from flowc.dsl.parser import MAX_NESTING, parse
from flowc.dsl.render import render_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "syntax"
GOLDENS = sorted(FIXTURES.glob("*.flow"))
UPDATE = os.environ.get("FLOWC_UPDATE_GOLDENS") == "1"

# Lark's names for terminals, which a message must never show (upper case as lark names them,
# lower case as a naive `.lower()` would print them).
_TOKEN_NAMES = re.compile(
    r"\b(?:[A-Z_]*(?:LBRACE|RBRACE|LPAR|RPAR|LSQB|RSQB|COLON|COMMA|EQUAL|DOT|_NL|_ARROW|_FATARROW)|__ANON\w*|\$END"
    r"|NAME|NUMBER|STRING|COMPARE)\b"
    r"|`(?:lbrace|rbrace|lpar|rpar|lsqb|rsqb|colon|comma|equal|dot|_nl|_arrow|_fatarrow|compare|mul|plus|minus)`")


def assert_words_only(diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]) -> None:
    """No lark terminal names in a message or hint: the user never learns the grammar's names."""
    for d in diagnostics:
        for text in (d.message, d.hint or ""):
            assert not _TOKEN_NAMES.search(text), f"token name in {d.code}: {text!r}"


def render_fixture(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, list[Diagnostic]]:
    """Load a fixture from its own folder, so that paths in the output are short and stable."""
    monkeypatch.chdir(path.parent)
    sources = load(path.name)
    return render_text(sources.diagnostics, sources.sources), sources.diagnostics


@pytest.mark.parametrize("path", GOLDENS, ids=lambda p: p.stem)
def test_golden(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rendered, diagnostics = render_fixture(path, monkeypatch)
    golden = path.with_suffix(".expected.txt")
    if UPDATE:
        golden.write_text(rendered, encoding="utf-8", newline="")
    assert golden.exists(), f"no golden for {path.name}; run with FLOWC_UPDATE_GOLDENS=1 and review it"
    assert rendered == golden.read_text(encoding="utf-8"), f"{path.name} renders differently from its golden"
    assert_words_only(diagnostics)


def test_every_golden_has_its_input() -> None:
    inputs = {p.stem for p in GOLDENS}
    stale = [g.name for g in FIXTURES.glob("*.expected.txt") if g.name.removesuffix(".expected.txt") not in inputs]
    assert not stale, f"goldens without a .flow: {stale}"
    assert len(GOLDENS) >= 20


@pytest.mark.parametrize("path", [p for p in GOLDENS if p.stem not in ("byte_order_mark", "import_missing")],
                         ids=lambda p: p.stem)
def test_a_malformed_file_gets_exactly_one_diagnostic(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Syntax errors fail fast: one diagnostic per file, the first error, never a cascade."""
    _, diagnostics = render_fixture(path, monkeypatch)
    assert len(diagnostics) == 1, diagnostics
    assert diagnostics[0].span is not None


def test_a_byte_order_mark_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    rendered, diagnostics = render_fixture(FIXTURES / "byte_order_mark.flow", monkeypatch)
    assert diagnostics == [] and rendered == ""


def test_import_cycle_shows_the_whole_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    _, diagnostics = render_fixture(FIXTURES / "import_cycle.flow", monkeypatch)
    (cycle,) = diagnostics
    assert cycle.code == "FL203"
    assert "import_cycle.flow -> imports/cycle_b.flow -> imports/cycle_c.flow -> import_cycle.flow" in cycle.message


# ---- one rule at a time ----------------------------------------------------------------------------


def diagnose(text: str | bytes) -> Diagnostic:
    with pytest.raises(FlowError) as caught:
        parse(text, "t.flow")
    (diagnostic,) = caught.value.diagnostics
    assert_words_only([diagnostic])
    return diagnostic


def in_container(*lines: str) -> str:
    body = "\n".join(f"        {line}" for line in lines)
    return f"containers c {{\n    root: backtest {{\n{body}\n    }}\n}}\n"


@pytest.mark.parametrize(("text", "code", "message"), [
    ("containers c {\n    root: backtest {\n        x = 1\n", "FL110",
     "expected `}` to close the container `root` (opened at 2:20), found the end of the file"),
    ("containers c {\n}\n}\n", "FL101", "unexpected `}`: every block is already closed"),
    (in_container("x = f(1, 2))"), "FL101", "unexpected `)`: there is no open `(` to close"),
    (in_container("x = [1, 2)"), "FL101", "expected `]` to close the `[` opened at 3:13, found `)`"),
    (in_container("x = f(1, 2", "y = 3"), "FL101", "expected `)` to close the `(` opened at 3:14, found `y`"),
    ("param x: int = f(1,", "FL102", "the file ends before the `(` opened at 1:17 is closed"),
    ("param x: int = ", "FL102", "the file ends too early: expected an expression after `=`"),
    ("param x: int =\n\n# the end\n", "FL102", "the file ends too early: expected an expression after `=`"),
    ("containers c {\n    root: backtest {\n        x =", "FL102",
     "the file ends too early: expected an expression after `=`"),
    ("containers c {\n    root: backtest {\n        x = 1\n\n", "FL110",
     "expected `}` to close the container `root` (opened at 2:20), found the end of the file"),
    (in_container("x = 1 *"), "FL101", "expected an expression after `*`, found the end of the line"),
    (in_container("x = not"), "FL101", "expected an expression after `not`, found the end of the line"),
    (in_container("x = (1 + 2"), "FL101", "expected `)` to close the `(` opened at 3:13, found `}`"),
    (in_container("x 1"), "FL101", "expected `=` or `:` after `x`, found `1`"),
    (in_container("source: sample(1)"), "FL101", "expected `{` after `source: sample`, found `(`"),
    (in_container("x = 1 2"), "FL101", "expected an operator, `}` or the end of the line, found `2`"),
    ("param a: int = 1 param b: int", "FL101", "expected an operator or the end of the line, found `param`"),
    ("workflow w {\n    containers simple\n}", "FL101", "expected `=` after `containers`, found `simple`"),
    ("communication c {\n    pipeline a\n}", "FL101", "expected `->` after `a`, found the end of the line"),
    ("communication c {\n    broadcast a -> b BAR\n}", "FL101", "expected `:` or `,`, found `BAR`"),
    ("communication c {\n    route a -> b : S when\n}", "FL101",
     "expected an expression after `when`, found the end of the line"),
    ("event E { a f64 }", "FL101", "expected `:`, found `f64`"),
    ("role r { make BAR }", "FL101", "expected `consumes`, `produces` or `}`, found `make`"),
    ("containers c {\n    = 1\n}", "FL101", "expected a container (`name: role { ... }`) or `}`, found `=`"),
    (in_container("= 1"), "FL101", "expected a setting (`name = value`), a child container (`name: role { ... }`) "
                                   "or `}`, found `=`"),
    ("workflow w {\n    = 1\n}", "FL101", "expected a setting (`name = value`), `sweep`, `walk_forward` or `}`, "
                                          "found `=`"),
    ("event E { a: f64, = }", "FL101", "expected a field (`name: type`) or `}`, found `=`"),
    ("pipeline a -> b", "FL101", "expected a declaration (`import`, `param`, `event`, `role`, `containers`, "
                                 "`communication`, `workflow`), found `pipeline`"),
    ("communication c {\n    selective a -> { else => b, x => c } : S\n}", "FL101",
     "a case follows `else`; `else` must be the last case of `selective`"),
    ("containers c {\n    r: backtest {}\n\nworkflow w {}\n", "FL110",
     "`workflow` starts a declaration, but the container pattern `c` (opened at 1:14) is not closed"),
    ("communication c {\n    pipeline a -> b\nparam x: int\n", "FL110",
     "`param` starts a declaration, but the communication pattern `c` (opened at 1:17) is not closed"),
    ("worklfow w {}", "FL105", "unknown keyword `worklfow`"),
    ("communication c {\n    feedbak a -> b : P\n}", "FL105", "unknown keyword `feedbak`"),
    ("communication c {\n    route a -> b : S wen x > 0\n}", "FL105", "unknown keyword `wen`"),
    ("role r { consume BAR }", "FL105", "unknown keyword `consume`"),
    ("workflow w {\n    walkforward train = 1\n}", "FL105", "unknown keyword `walkforward`"),
    ("paramfast: int = 1", "FL105", "unknown keyword `paramfast`"),
    ("param fast = 1", "FL106", "expected `:` and a type after `param fast`, found `=`"),
    ("event E { a = f64 }", "FL106", "expected `:` between a field's name and its type, found `=`"),
    ("containers c {\n    root = backtest {}\n}", "FL106", "expected `:` after the container name `root`, found `=`"),
    ("communication c {\n    route a => b : S\n}", "FL107", "expected `->`, found `=>`"),
    ("communication c {\n    selective a -> { else -> b } : S\n}", "FL107", "expected `=>`, found `->`"),
    ("communication c {\n    selective a -> { x > 0 -> b } : S\n}", "FL107",
     "expected `=>` after the predicate, found `->`"),
    ('param s: str = "abc', "FL108", 'unterminated string: there is no closing `"` before the end of the line'),
    ('param s: str = "abc\\"', "FL108", 'unterminated string: there is no closing `"` before the end of the line'),
    ('param s: str = "a\\nb"', "FL101", "unknown escape `\\n` in a string"),
    ("param x: int = 1 $ 2", "FL103", "unexpected character `$`"),
    ("param x: int = 1 @ 2", "FL101", "expected an operator or the end of the line, found `@`"),  # `close@NDX` only
    (in_container("x = close@"), "FL101", "expected a name or a string, found the end of the line"),
    ("param x: int = 1\u00a0", "FL103", "unexpected character U+00A0 (no-break space)"),
    ("param x: int = \u22121", "FL103", "unexpected character `\u2212`"),
    ("param x\u00e9: int", "FL103", "unexpected character `\u00e9`"),
    ("param x: int = 1\x00", "FL103", "unexpected character U+0000"),
    (b"param a: int\n\xe9t\xe9\n", "FL104", "the file is not valid UTF-8: byte 0xe9 is not a valid character "
                                            "here"),
    (b"param a: int\n\xff", "FL104", "the file is not valid UTF-8: byte 0xff is not a valid character here"),
    (b"param a: int # \xe2\x82", "FL104", "the file is not valid UTF-8: it ends in the middle of a character "
                                           "(byte 0xe2)"),
    (in_container("x = f(a = 1, 2)"), "FL101", "a positional argument cannot follow a keyword argument"),
])
def test_message(text: str | bytes, code: str, message: str) -> None:
    diagnostic = diagnose(text)
    assert (diagnostic.code, diagnostic.message) == (code, message)


def test_an_error_on_the_last_line_points_at_that_line() -> None:
    diagnostic = diagnose("param fast: int = 10\nparam slow: int =\n")
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.column) == ("FL102", 2, 18)


def test_fixes_repair_the_mistake() -> None:
    """Where a diagnostic offers a fix, applying it makes the snippet parse."""
    for text in [
        "containers c {\n    root = backtest {}\n}",
        "event E { a = f64 }",
        "communication c {\n    route a => b : S\n}",
        "communication c {\n    selective a -> { x > 0 -> b } : S\n}",
        "communication c {\n    selective a -> { else -> b } : S\n}",
        "worklfow w {}",
        "paramfast: int = 1",
        in_container("x 1"),
        in_container("source: sample(1)"),
        in_container("x = [1, 2)"),
    ]:
        diagnostic = diagnose(text)
        assert diagnostic.fix is not None, diagnostic
        span = diagnostic.fix.span
        parse(text[:span.start] + diagnostic.fix.replacement + text[span.end:], "fixed.flow")


def test_missing_brace_hint_names_the_block_the_indentation_points_at() -> None:
    text = (FIXTURES / "missing_brace_inner.flow").read_text()
    diagnostic = diagnose(text)
    assert diagnostic.code == "FL110"
    assert "the container `data` (opened at 4:20) looks unclosed" in diagnostic.hint
    assert "add `}` after line 5" in diagnostic.hint


def test_missing_braces_without_an_indentation_clue_lists_every_open_block() -> None:
    diagnostic = diagnose("containers c {\n    root: backtest {\n        data: data {\n")
    assert diagnostic.hint == ("3 blocks are still open: the container `data` (3:20), the container `root` (2:20), "
                               "the container pattern `c` (1:14); add a `}` for each")


def test_extra_brace_hint_names_the_brace_that_closed_too_early() -> None:
    diagnostic = diagnose((FIXTURES / "extra_brace.flow").read_text())
    assert diagnostic.hint.startswith("the `}` at 5:10 may be the extra one: it closes the container `backtest`")


def test_braces_in_strings_and_comments_do_not_count() -> None:
    text = 'containers c {\n    root: backtest {  # {\n        s: data { source = sample("}") }\n'
    diagnostic = diagnose(text)
    assert diagnostic.code == "FL110" and "the container `root`" in diagnostic.message


def test_too_deep_nesting_is_refused_not_a_crash() -> None:
    assert diagnose("param x: int = " + "(" * (MAX_NESTING + 1) + "1" + ")" * (MAX_NESTING + 1)).code == "FL109"
    assert diagnose("param x: int = " + "-" * (MAX_NESTING + 1) + "1").code == "FL109"
    assert diagnose("param x: bool = " + "not " * (MAX_NESTING + 1) + "x").code == "FL109"
    parse("param x: int = " + "(" * (MAX_NESTING - 1) + "1" + ")" * (MAX_NESTING - 1), "ok.flow")
    parse("param x: int = " + "-" * MAX_NESTING + "1", "ok.flow")


def test_errors_in_an_imported_file_point_into_that_file(tmp_path: Path) -> None:
    (tmp_path / "lib.flow").write_text("param x: int = (\n")
    sources = load_text('import "lib.flow"\n', str(tmp_path / "main.flow"))
    (diagnostic,) = sources.diagnostics
    assert diagnostic.code == "FL102" and diagnostic.span.path.endswith("lib.flow")
    assert render_text(sources.diagnostics, sources.sources).count("FL102") == 1


def test_the_error_is_the_same_whichever_thread_parses(tmp_path: Path) -> None:
    """The post-lexer's state is per parse; parses in threads must not mix their contexts."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [in_container(f"x{i} = f(1, 2") for i in range(20)] + ["containers c {\n}\n}\n", "param fast = 1"] * 20
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(diagnose_quietly, texts))
    assert results == [diagnose_quietly(t) for t in texts]


def diagnose_quietly(text: str) -> str:
    try:
        parse(text, "t.flow")
    except FlowError as exc:
        return exc.diagnostics[0].message
    return ""


# ---- rule pages ------------------------------------------------------------------------------------

SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "## Fix")
FLOW_BLOCK = re.compile(r"```flow[^\n]*\n(.*?)```", re.DOTALL)
# Codes whose bad example cannot be a literal .flow snippet: bytes that are not UTF-8, 65 levels of nesting.
NOT_SHOWN_LITERALLY = {"FL104", "FL109"}


def page_sections(code: str) -> dict[str, str]:
    page = rule_page(code)
    assert page is not None, f"no page dsl/rules/{code}.md"
    positions = [page.find(f"\n{title}\n") for title in SECTIONS]
    assert all(p > 0 for p in positions) and positions == sorted(positions), f"{code}: sections {SECTIONS} in order"
    bounds = [*positions, len(page)]
    return {title: page[bounds[i] + len(title) + 2:bounds[i + 1]].strip() for i, title in enumerate(SECTIONS)}


def test_every_code_has_a_page_and_every_page_a_code() -> None:
    folder = resources.files("flowc.dsl").joinpath("rules")
    pages = {entry.name.removesuffix(".md") for entry in folder.iterdir() if entry.name.endswith(".md")}
    assert pages == set(RULES)


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_page(code: str) -> None:
    rule = RULES[code]
    page = rule_page(code)
    assert page is not None and page.splitlines()[0] == f"# {rule.code} {rule.name}"
    sections = page_sections(code)
    assert all(sections.values()), f"{code}: an empty section"
    for snippet in FLOW_BLOCK.findall(sections["## Fix"]):
        parse(snippet, f"{code}-fix.flow")  # the good example is valid syntax
    examples = FLOW_BLOCK.findall(sections["## Example"])
    if code.startswith("FL1") and code not in NOT_SHOWN_LITERALLY:
        assert examples, f"{code}: no .flow example"
        assert diagnose(examples[0]).code == code, f"{code}: the example shows another mistake"
    else:
        for snippet in examples:  # a semantic mistake, in a file that parses
            parse(snippet, f"{code}-example.flow")


def test_flowc_rule_prints_the_page(capsys: pytest.CaptureFixture[str]) -> None:
    from flowc.tools.cli import main

    assert main(["rule", "fl110"]) == 0
    assert capsys.readouterr().out == rule_page("FL110")
