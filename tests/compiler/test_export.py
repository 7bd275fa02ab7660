"""Printable forms of a workflow: golden dot, Mermaid and graph listings of every example, and the helpers.

`FLOWC_UPDATE_GOLDEN=1 pytest tests/compiler/test_export.py` rewrites the
files under tests/fixtures/export/ after a deliberate change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowc.compiler.export import ast_text, expr_text, graph_text, to_dot, to_mermaid
from flowc.compiler.workflow import analyse
from flowc.dsl import ast
from flowc.dsl.loader import load, load_text
from flowc.dsl.parser import parse

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "export"
EXAMPLES = sorted((ROOT / "examples").glob("*.flow"))
FORMS = {"dot": to_dot, "mermaid": to_mermaid, "graph": graph_text}
UPDATE = os.environ.get("FLOWC_UPDATE_GOLDEN") == "1"


def graph_of(text: str):
    analysis = analyse(load_text(text, "case.flow"))
    assert analysis.graph is not None, analysis.diagnostics
    return analysis.graph


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_golden(path, form, monkeypatch):
    monkeypatch.chdir(ROOT)
    analysis = analyse(load(path.relative_to(ROOT)))
    assert analysis.graph is not None
    actual = FORMS[form](analysis.graph)
    golden = FIXTURES / f"{path.stem}.{form}"
    if UPDATE:
        golden.write_text(actual, encoding="utf-8")
    assert actual == golden.read_text(encoding="utf-8")


def test_predicates_are_printed_and_feedback_is_dashed():
    text = (ROOT / "examples" / "simple_backtest.flow").read_text(encoding="utf-8").replace(
        "broadcast data -> strategy, risk", "route data -> strategy : BAR when close > 0\n    broadcast data -> risk")
    graph = graph_of(text)
    assert '"data" -> "strategy" [label="BAR when close > 0"];' in to_dot(graph)
    assert '"portfolio" -> "risk" [label="PORTFOLIO", style=dashed];' in to_dot(graph)
    assert 'data -->|"BAR when close #gt; 0"| strategy' in to_mermaid(graph)
    assert "portfolio -.->|\"PORTFOLIO\"| risk" in to_mermaid(graph)


def test_events_of_one_source_and_target_share_a_label():
    text = """
role twin { consumes BAR; produces FEATURE, REGIME }
role sink { consumes FEATURE, REGIME }
containers c { root: backtest { data: data { source = sample("sp500") }
  t: twin {}
  s: sink {} } }
communication p { pipeline data -> t -> s }
workflow w { containers = c; communication = p }
"""
    graph = graph_of(text)
    assert '"t" -> "s" [label="FEATURE, REGIME"];' in to_dot(graph)
    assert 't -->|"FEATURE, REGIME"| s' in to_mermaid(graph)
    assert "  t -> s : FEATURE\n  t -> s : REGIME\n" in graph_text(graph)


def test_mermaid_ids_are_plain_and_unique_and_labels_escaped():
    text = """
role sink { consumes BAR }
containers c { root: backtest { data: data { source = sample("sp500") }
  end: sink {}
  a: backtest { b: sink {} }
  a_b: sink {} } }
communication p { route data -> end, a.b, a_b : BAR when symbol == "X<1>" }
workflow w { containers = c; communication = p }
"""
    mermaid = to_mermaid(graph_of(text))
    assert 'end_["end<br/>sink"]' in mermaid
    assert 'a_b["b<br/>sink"]' in mermaid and 'a_b_2["a_b<br/>sink"]' in mermaid
    assert 'subgraph cluster_a ["a (backtest)"]' in mermaid
    assert '|"BAR when symbol == #quot;X#lt;1#gt;#quot;"|' in mermaid


def test_selective_else_prints_the_excluded_predicates():
    path = ROOT / "examples" / "two_indices.flow"
    listing = graph_text(graph_of(path.read_text(encoding="utf-8")))
    assert '  strategy -> risk_spx : SIGNAL [when symbol == "SPX"]\n' in listing
    assert '  strategy -> risk_ndx : SIGNAL [when not (symbol == "SPX")]\n' in listing


def test_ast_text_lists_nodes_with_positions():
    text = ast_text(parse('param fast: int = 1_000\nworkflow w "d" { containers = c }\n', "m.flow"))
    assert text.splitlines() == [
        "Module @1:1 path='m.flow'",
        "  declarations[0]: Param @1:1 name='fast'",
        "    type: Ident @1:13 name='int'",
        "    default: Number @1:19 value=1000",
        "  declarations[1]: WorkflowDecl @2:1 name='w' description='d'",
        "    items[0]: WorkflowSetting @2:18 name='containers'",
        "      value: Name @2:31 id='c'",
    ]


@pytest.mark.parametrize(("source", "expected"), [
    ("a + b * c", "a + b * c"),
    ("(a + b) * c", "(a + b) * c"),
    ("a - (b - c)", "a - (b - c)"),
    ("a - b - c", "a - b - c"),
    ("not (a < b) and c or d", "not a < b and c or d"),
    ("not (a and b)", "not (a and b)"),
    ("-(a + b)", "-(a + b)"),
    ("(a < b) == (c < d)", "(a < b) == (c < d)"),
    ('f(x, 2, symbol = "S\\"Q")', 'f(x, 2, symbol = "S\\"Q")'),
    ("[1, 2.50, true]", "[1, 2.50, true]"),
])
def test_expr_text(source, expected):
    assert expr_text(_expr(source)) == expected


def _expr(source: str) -> ast.Expr:
    module = parse(f"param p: int = 0\ncontainers c {{ r: backtest {{ x = {source} }} }}\n", "e.flow")
    decl = module.declarations[1]
    assert isinstance(decl, ast.ContainersDecl)
    return decl.roots[0].settings[0].value


NAMES = st.sampled_from(["a", "b", "close", "x1"])
LEAVES = st.one_of(NAMES.map(ast.Name), st.integers(0, 99).map(lambda n: ast.Number(n, str(n))))
OPS = st.sampled_from(["+", "-", "*", "/", "<", "==", "and", "or"])


def _exprs():
    return st.recursive(LEAVES, lambda inner: st.one_of(
        st.builds(ast.Binary, OPS, inner, inner),
        st.builds(ast.Unary, st.sampled_from(["-", "not"]), inner),
    ), max_leaves=8)


@settings(max_examples=150, deadline=None)
@given(_exprs())
def test_expr_text_round_trips(expr):
    """Printing then parsing gives the same tree: parentheses exactly where precedence needs them."""
    text = expr_text(expr)
    assert _expr(text) == expr, text
