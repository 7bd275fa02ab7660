"""The piecewise parse of a buffer equals the whole parse, spans included, and survives broken pieces."""

import dataclasses
import sys
from pathlib import Path

import pytest

from flowc.dsl import ast
from flowc.dsl.loader import std_files
from flowc.dsl.parser import parse
from flowc.tools.lsp.chunks import parse_buffer
from tests.conftest import EXAMPLES, ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from parse_speed import generate

STD = Path(__file__).resolve().parents[2] / "dsl" / "std"
FILES = sorted(EXAMPLES.glob("*.flow")) + [STD / name.removeprefix("std/") for name in std_files()]


def spans(value, out):
    """Every node's type and span, in walk order (spans take no part in AST equality)."""
    if isinstance(value, tuple):
        for item in value:
            spans(item, out)
    elif isinstance(value, ast.Node):
        out.append((type(value).__name__, value.span))
        for f in dataclasses.fields(value):
            if f.name != "span":
                spans(getattr(value, f.name), out)
    return out


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_pieces_equal_the_whole_parse(path):
    text = path.read_text(encoding="utf-8")
    whole, pieces = parse(text, "x.flow"), parse_buffer(text, "x.flow")
    assert pieces.ok and pieces.module == whole
    assert spans(pieces.module.declarations, []) == spans(whole.declarations, [])
    assert [c.span for c in pieces.module.comments] == [c.span for c in whole.comments]


def test_a_large_generated_file_too():
    text = generate(1000)
    whole, pieces = parse(text, "x.flow"), parse_buffer(text, "x.flow")
    assert spans(pieces.module.declarations, []) == spans(whole.declarations, [])
    edited = text.replace("param fast_0: int = 5", "param fast_0: int = 55\n# a new line", 1)
    expected = spans(parse(edited, "x.flow").declarations, [])
    assert spans(parse_buffer(edited, "x.flow").module.declarations, []) == expected


def test_a_broken_declaration_costs_only_itself():
    text = (EXAMPLES / "full_backtest.flow").read_text(encoding="utf-8")
    broken = text.replace("        risk: risk {\n", "        risk: risk {{\n")
    parsed = parse_buffer(broken, "x.flow")
    assert not parsed.ok
    (error,) = parsed.diagnostics
    assert error.span.line == broken[:broken.index("risk {{")].count("\n") + 1
    kinds = [type(d).__name__ for d in parsed.module.declarations]
    assert kinds == ["Param", "Param", "CommunicationDecl", "WorkflowDecl"]
    whole = parse(text, "x.flow")
    moved = [(kind, span.line, span.column, span.start - 1) for kind, span in spans(parsed.module.declarations[2:], [])]
    assert moved == [(kind, span.line, span.column, span.start) for kind, span in spans(whole.declarations[3:], [])]


def test_every_broken_declaration_gets_its_own_error():
    text = "param a: int = \n\nparam b: int = 1\n\nevent E { x f64 }\n"
    parsed = parse_buffer(text, "x.flow")
    assert [d.span.line for d in parsed.diagnostics] == [1, 5]
    assert [d.name for d in parsed.module.declarations] == ["b"]
