"""Malformed input of every kind ends in diagnostics, never in a traceback.

Hypothesis edits the examples the way a user's keyboard (or a broken
download) would: tokens deleted, duplicated, swapped or replaced, characters
and random bytes inserted, invalid UTF-8, truncation. Whatever comes out, the
front end must either succeed or return diagnostics that name a known code,
point inside the file, render, and speak in words rather than lark's token
names. A handful of explicit monsters (a 1 MB line, 10,000 nested
parentheses or blocks, 100,000 unary minuses) check the limits that keep the
parser and later passes out of deep recursion. The CLI must turn all of it
into exit code 1 or 2.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowc.dsl.codes import RULES
from flowc.dsl.diagnostics import FlowError
from flowc.dsl.loader import SourceSet, load_text
from flowc.dsl.parser import parse
from flowc.dsl.render import render_json, render_text
from tests.dsl.test_syntax_errors import assert_words_only

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = {p.name: p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("*.flow"))}
# Loaded as if they sat beside the examples, so that `import "simple_backtest.flow"` still resolves.
FUZZ_PATH = str(ROOT / "examples" / "fuzz.flow")

_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|\w+|->|=>|==|!=|<=|>=|\s+|.', re.DOTALL)
_VOCABULARY = [
    "import", "param", "event", "role", "containers", "communication", "workflow", "pipeline", "broadcast",
    "route", "selective", "hierarchical", "feedback", "sweep", "in", "when", "else", "and", "or", "not",
    "true", "false", "walk_forward", "consumes", "produces", "{", "}", "(", ")", "[", "]", ":", ",", "=",
    ".", "->", "=>", "+", "-", "*", "/", "<", "==", ";", "\n", '"', '"x"', "#", "1e", "1_", "0.5", "x",
    "\\", "\t", "\r\n", "\u00e9", "\ufeff", "\u201c", "\x00", "@",
]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                derandomize=True)


def check(data: str | bytes) -> SourceSet:
    """Load `data`; whatever happens must be diagnostics a user can read."""
    sources = load_text(data, FUZZ_PATH)
    for d in sources.diagnostics:
        assert d.code in RULES, d
        assert d.message, d
        if d.span is not None and d.span.path in sources.sources:
            text = sources.sources[d.span.path].text
            assert 0 <= d.span.start <= d.span.end <= len(text), d
            assert d.span.line >= 1 and d.span.column >= 1, d
    assert_words_only(sources.diagnostics)
    render_text(sources.diagnostics, sources.sources)
    render_json(sources.diagnostics)
    return sources


def check_parse(text: str | bytes) -> None:
    try:
        parse(text, "fuzz.flow")
    except FlowError as exc:
        assert exc.diagnostics
        assert_words_only(exc.diagnostics)


# ---- random edits of the examples ------------------------------------------------------------------


@st.composite
def edited_example(draw: st.DrawFn) -> str:
    text = EXAMPLES[draw(st.sampled_from(sorted(EXAMPLES)))]
    tokens = _TOKEN.findall(text)
    for _ in range(draw(st.integers(1, 4))):
        if not tokens:
            break
        i = draw(st.integers(0, len(tokens) - 1))
        edit = draw(st.sampled_from(["delete", "duplicate", "swap", "replace", "insert", "char"]))
        if edit == "delete":
            del tokens[i]
        elif edit == "duplicate":
            tokens.insert(i, tokens[i])
        elif edit == "swap":
            j = draw(st.integers(0, len(tokens) - 1))
            tokens[i], tokens[j] = tokens[j], tokens[i]
        elif edit == "replace":
            tokens[i] = draw(st.sampled_from(_VOCABULARY))
        elif edit == "insert":
            tokens.insert(i, draw(st.sampled_from(_VOCABULARY)))
        else:
            token = tokens[i]
            k = draw(st.integers(0, len(token)))
            tokens[i] = token[:k] + draw(st.text(min_size=0, max_size=2)) + token[k + 1:]
    return "".join(tokens)


@FUZZ
@given(edited_example())
def test_edited_examples_give_diagnostics_never_exceptions(text: str) -> None:
    check(text)
    check_parse(text)


@st.composite
def bytes_in_an_example(draw: st.DrawFn) -> bytes:
    data = EXAMPLES[draw(st.sampled_from(sorted(EXAMPLES)))].encode("utf-8")
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(data)))
        data = data[:i] + draw(st.binary(min_size=1, max_size=4)) + data[i:]
    return data


@FUZZ
@given(bytes_in_an_example())
def test_random_bytes_give_diagnostics_never_exceptions(data: bytes) -> None:
    check(data)
    check_parse(data)


@FUZZ
@given(st.sampled_from(sorted(EXAMPLES)), st.data())
def test_cut_characters_and_swapped_lines(name: str, data: st.DataObject) -> None:
    lines = EXAMPLES[name].splitlines(keepends=True)
    i = data.draw(st.integers(0, len(lines) - 1))
    j = data.draw(st.integers(0, len(lines) - 1))
    lines[i], lines[j] = lines[j], lines[i]
    text = "".join(lines)
    cut = data.draw(st.integers(0, len(text)))
    check(text[:cut] + text[cut + data.draw(st.integers(0, 5)):])


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from([*_VOCABULARY, " ", "a", "b", "0"]), max_size=40).map("".join))
def test_token_soup(text: str) -> None:
    check_parse(text)


@pytest.mark.parametrize("name", ["two_indices.flow"])
def test_truncation_at_every_position(name: str) -> None:
    """Every prefix of an example: the end-of-file diagnostics in all their forms."""
    text = EXAMPLES[name]
    codes = set()
    for cut in range(len(text) + 1):
        sources = check(text[:cut])
        codes.update(d.code for d in sources.diagnostics)
    assert {"FL102", "FL110"} <= codes


def test_invalid_utf8_at_every_kind_of_place() -> None:
    data = EXAMPLES["simple_backtest.flow"].encode("utf-8")
    for i in range(0, len(data), 37):
        for bad in (b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xc0\xaf"):
            sources = check(data[:i] + bad + data[i:])
            assert [d.code for d in sources.diagnostics] == ["FL104"]


# ---- explicit monsters -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    pytest.param('param s: str = "' + "x" * 1_000_000 + '"', id="1 MB string on one line"),
    pytest.param("# " + "x" * 1_000_000, id="1 MB comment"),
    pytest.param("param " + "x" * 1_000_000 + ": int", id="1 MB name"),
    pytest.param("x" * 1_000_000, id="1 MB of one word"),
    pytest.param("@" * 1_000_000, id="1 MB of a bad character"),
    pytest.param('param s: str = "' + "x" * 1_000_000, id="1 MB unterminated string"),
])
def test_one_megabyte_line(text: str) -> None:
    check(text)


def test_a_long_expression_is_refused_with_a_diagnostic() -> None:
    sources = check("param x: int = " + "1 + " * 5_000 + "1")
    assert [d.code for d in sources.diagnostics] == ["FL109"]


@pytest.mark.parametrize(("text", "code"), [
    pytest.param("param x: int = " + "(" * 10_000 + "1" + ")" * 10_000, "FL109", id="10,000 nested parentheses"),
    pytest.param("param x: int = " + "[" * 10_000 + "]" * 10_000, "FL109", id="10,000 nested lists"),
    pytest.param("param x: int = " + "f(" * 10_000 + ")" * 10_000, "FL109", id="10,000 nested calls"),
    pytest.param("containers c {\n" + "a: b {\n" * 10_000 + "}\n" * 10_001, "FL109", id="10,000 nested blocks"),
    pytest.param("param x: int = " + "-" * 100_000 + "1", "FL109", id="100,000 unary minuses"),
    pytest.param("param x: bool = " + "not " * 100_000 + "x", "FL109", id="100,000 nots"),
    pytest.param("param x: int = " + "(" * 10_000, "FL109", id="10,000 unclosed parentheses"),
    pytest.param("containers c {\n" + "a: b {\n" * 10_000, "FL109", id="10,000 unclosed blocks"),
    pytest.param("containers c {" * 10_000, "FL110", id="10,000 unclosed declarations"),
    pytest.param("}" * 10_000, "FL101", id="10,000 closing braces"),
])
def test_deep_nesting_is_refused_with_a_diagnostic(text: str, code: str) -> None:
    sources = check(text)
    assert [d.code for d in sources.diagnostics] == [code]


@pytest.mark.parametrize("text", [
    pytest.param("", id="empty"),
    pytest.param("\n\n\n", id="blank lines"),
    pytest.param("# only\n# comments\n", id="comments only"),
    pytest.param("# no newline at the end", id="comment without newline"),
    pytest.param(";;;", id="only separators"),
    pytest.param("\ufeff", id="only a byte-order mark"),
])
def test_nothing_to_parse_is_fine(text: str) -> None:
    sources = check(text)
    assert sources.diagnostics == []
    assert sources.main_module is not None and sources.main_module.declarations == ()


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_examples_with_crlf_and_tabs_parse_the_same(name: str) -> None:
    text = EXAMPLES[name]
    plain = parse(text, name)
    assert parse(text.replace("\n", "\r\n"), name) == plain
    assert parse(text.replace("    ", "\t"), name) == plain


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_lone_carriage_returns_are_not_line_breaks(name: str) -> None:
    """Old Mac line endings make the file one line (a leading comment then swallows all of it): no crash."""
    check(EXAMPLES[name].replace("\n", "\r"))
    sources = check("param a: int = 1\rparam b: int = 2\r")
    assert [d.code for d in sources.diagnostics] == ["FL101"]


# ---- through the command line ----------------------------------------------------------------------


def _command_exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


CLI_COMMANDS = [
    pytest.param(["fmt", "--check"], marks=pytest.mark.skipif(
        not _command_exists("flowc.tools.commands.fmt"), reason="`flowc fmt` does not exist yet")),
    pytest.param(["lint"], marks=pytest.mark.skipif(
        not _command_exists("flowc.tools.commands.lint"), reason="`flowc lint` does not exist yet")),
]
SYNTAX_ERRORS = {  # every command reads the file, so every command must fail on these
    "missing_brace.flow": b"containers c {\n    root: backtest {\n",
    "invalid_utf8.flow": b"param a: int = 1 # caf\xe9\n",
    "bad_char.flow": b"param a: int = 1 @ 2\n",
    "unterminated.flow": b'param a: str = "abc\n',
    "too_deep.flow": b"param x: int = " + b"(" * 10_000 + b"1" + b")" * 10_000,
    "unary.flow": b"param x: int = " + b"-" * 100_000 + b"1",
    "megabyte.flow": b"param " + b"x" * 1_000_000 + b" int",
}
IMPORT_ERRORS = {  # `fmt` formats one file and never follows imports; `lint` must fail on these
    "cycle.flow": b'import "cycle.flow"\n',
    "missing_import.flow": b'import "nowhere.flow"\n',
    "nul.flow": b'import "a\x00b.flow"\n',
    "empty_import.flow": b'import ""\n',
}


def run_cli(command: list[str], name: str, data: bytes, folder: Path, capsys: pytest.CaptureFixture[str]) -> int:
    from flowc.tools.cli import main

    path = folder / name
    path.write_bytes(data)
    code = main([*command, str(path)])
    assert "Traceback" not in capsys.readouterr().err
    return code


@pytest.mark.parametrize("command", CLI_COMMANDS, ids=["fmt", "lint"])
@pytest.mark.parametrize("name", sorted(SYNTAX_ERRORS))
def test_cli_turns_a_syntax_error_into_exit_code_1(command: list[str], name: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(command, name, SYNTAX_ERRORS[name], tmp_path, capsys) in (1, 2)


@pytest.mark.parametrize("command", CLI_COMMANDS, ids=["fmt", "lint"])
@pytest.mark.parametrize("name", sorted(IMPORT_ERRORS))
def test_cli_on_broken_imports(command: list[str], name: str, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    code = run_cli(command, name, IMPORT_ERRORS[name], tmp_path, capsys)
    assert code in ((1, 2) if command[0] == "lint" else (0, 1, 2))


@pytest.mark.parametrize("command", CLI_COMMANDS, ids=["fmt", "lint"])
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=edited_example())
def test_cli_on_edited_examples(command: list[str], text: str, tmp_path: Path) -> None:
    from flowc.tools.cli import main

    path = tmp_path / "fuzz.flow"
    path.write_text(text, encoding="utf-8", newline="")
    assert main([*command, str(path)]) in (0, 1, 2)
