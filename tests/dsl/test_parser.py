"""The parser against the spec: every statement form parses to the AST it means.

Each test is a small inline snippet and the AST it must produce. AST nodes
compare without their spans, so the expected trees are written without them;
the span tests check positions separately. The grammar is also built with
`strict=True` here, so that a grammar conflict or a terminal collision fails a
test instead of silently picking one reading.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import lark
import pytest

from flowc.dsl import ast
from flowc.dsl.diagnostics import FlowError
from flowc.dsl.loader import std_files
from flowc.dsl.parser import PostLexer, parse

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.flow"))


def decls(text: str) -> tuple[ast.Decl, ...]:
    return parse(text, "test.flow").declarations


def decl(text: str) -> ast.Decl:
    (only,) = decls(text)
    return only


def value(expression: str) -> ast.Expr:
    """The AST of one expression, parsed as a param default."""
    param = decl(f"param x: int = {expression}")
    assert isinstance(param, ast.Param)
    return param.default


def n(number: int | float) -> ast.Number:
    return ast.Number(number)


def name(identifier: str) -> ast.Name:
    return ast.Name(identifier)


def ref(dotted: str) -> ast.Ref:
    return ast.Ref(tuple(dotted.split(".")))


def idents(*names: str) -> tuple[ast.Ident, ...]:
    return tuple(ast.Ident(x) for x in names)


# ---- the grammar itself ----------------------------------------------------------------------------


def test_grammar_builds_in_strict_mode() -> None:
    """strict=True makes lark fail on shift/reduce conflicts and (with interegular) on terminal collisions."""
    grammar = resources.files("flowc.grammars").joinpath("flow.lark").read_text(encoding="utf-8")
    parser = lark.Lark(grammar, parser="lalr", lexer="contextual", postlex=PostLexer(),
                       propagate_positions=True, maybe_placeholders=False, strict=True)
    assert parser.parse("param a: int = 1\n") is not None


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_parses(path: Path) -> None:
    module = parse(path.read_bytes(), str(path))
    assert module.declarations


@pytest.mark.parametrize("name", std_files())
def test_every_std_file_parses(name: str) -> None:
    text = resources.files("flowc.dsl").joinpath("std", name.removeprefix("std/")).read_text(encoding="utf-8")
    assert parse(text, name).declarations


def test_empty_file_and_comments_only() -> None:
    assert decls("") == ()
    assert decls("\n\n   \n") == ()
    module = parse("# one\n   # two\n", "c.flow")
    assert module.declarations == ()
    assert [c.text for c in module.comments] == ["# one", "# two"]


def test_comments_are_kept_for_the_formatter_but_not_inside_strings() -> None:
    module = parse('param s: str = "a # b"  # real\n', "c.flow")
    assert module.declarations[0].default == ast.String("a # b")
    assert [c.text for c in module.comments] == ["# real"]


# ---- declarations ----------------------------------------------------------------------------------


def test_import() -> None:
    assert decl('import "std/simple_backtest.flow"') == ast.Import("std/simple_backtest.flow")


def test_param_with_and_without_default() -> None:
    assert decl("param fast: int = 10") == ast.Param("fast", ast.Ident("int"), n(10))
    assert decl("param slow: int") == ast.Param("slow", ast.Ident("int"), None)
    assert decl('param name: str = "SPX"') == ast.Param("name", ast.Ident("str"), ast.String("SPX"))
    assert decl("param on: bool = true") == ast.Param("on", ast.Ident("bool"), ast.Bool(True))


def test_event_with_trailing_comma_over_several_lines() -> None:
    expected = ast.EventDecl("TICK", (ast.EventField("price", ast.Ident("f64")),
                                      ast.EventField("size", ast.Ident("f64"))))
    assert decl("event TICK { price: f64, size: f64 }") == expected
    assert decl("event TICK {\n    price: f64,\n    size: f64,\n}") == expected
    assert decl("event EMPTY {}") == ast.EventDecl("EMPTY", ())


def test_role() -> None:
    expected = ast.RoleDecl("hedger", idents("FILL", "BAR"), idents("ORDER"))
    assert decl("role hedger { consumes FILL, BAR; produces ORDER }") == expected
    assert decl("role hedger {\n    consumes FILL, BAR\n    produces ORDER\n}") == expected
    assert decl("role hedger {\n    consumes FILL\n    consumes BAR\n    produces ORDER\n}") == expected


def test_nested_containers_keep_source_order() -> None:
    text = """
containers simple {
    backtest: backtest {
        data: data { source = sample("sp500") }
        features: feature {
            fast_ma = sma(close, fast)
            inner: feature {}
            slow_ma = sma(close, 30)
        }
    }
}
"""
    source = ast.Setting("source", ast.Call("sample", (ast.String("sp500"),)))
    data = ast.Container("data", ast.Ident("data"), (source,))
    features = ast.Container("features", ast.Ident("feature"), (
        ast.Setting("fast_ma", ast.Call("sma", (name("close"), name("fast")))),
        ast.Container("inner", ast.Ident("feature"), ()),
        ast.Setting("slow_ma", ast.Call("sma", (name("close"), n(30)))),
    ))
    root = ast.Container("backtest", ast.Ident("backtest"), (data, features))
    assert decl(text) == ast.ContainersDecl("simple", (root,))
    assert decl(text).roots == (root,)
    assert features.settings[1].name == "slow_ma" and features.children[0].name == "inner"


# ---- expressions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("100", n(100)),
    ("100_000", n(100_000)),
    ("1_000_000", n(1_000_000)),
    ("0.1", n(0.1)),
    ("1e-3", n(0.001)),
    ("2.5E+2", n(250.0)),
    ("-1", ast.Unary("-", n(1))),
    ("-0.5", ast.Unary("-", n(0.5))),
    ("- - 1", ast.Unary("-", ast.Unary("-", n(1)))),
    ("true", ast.Bool(True)),
    ("false", ast.Bool(False)),
    ('"SPX"', ast.String("SPX")),
    (r'"say \"hi\""', ast.String('say "hi"')),
    (r'"a\\b"', ast.String("a\\b")),
    (r'"\\\""', ast.String('\\"')),
    ('""', ast.String("")),
    ("fast", name("fast")),
    ("next_open()", ast.Call("next_open")),
    ("sma(close, 10)", ast.Call("sma", (name("close"), n(10)))),
    ('sample("sp500", symbol = "SPX")',
     ast.Call("sample", (ast.String("sp500"),), (ast.Keyword("symbol", ast.String("SPX")),))),
    ("synthetic(bars = 100, seed = 1,)",
     ast.Call("synthetic", (), (ast.Keyword("bars", n(100)), ast.Keyword("seed", n(1))))),
    ("stdev(returns(close), 20)", ast.Call("stdev", (ast.Call("returns", (name("close"),)), n(20)))),
    ("[]", ast.ListExpr(())),
    ("[1, 2, 3,]", ast.ListExpr((n(1), n(2), n(3)))),
    ("[[1], [f(x)]]", ast.ListExpr((ast.ListExpr((n(1),)), ast.ListExpr((ast.Call("f", (name("x"),)),))))),
    ("1 + 2 - 3", ast.Binary("-", ast.Binary("+", n(1), n(2)), n(3))),
    ("1 + 2 * 3", ast.Binary("+", n(1), ast.Binary("*", n(2), n(3)))),
    ("(1 + 2) * 3", ast.Binary("*", ast.Binary("+", n(1), n(2)), n(3))),
    ("a / b * c", ast.Binary("*", ast.Binary("/", name("a"), name("b")), name("c"))),
    ("-a * b", ast.Binary("*", ast.Unary("-", name("a")), name("b"))),
    ("a - -b", ast.Binary("-", name("a"), ast.Unary("-", name("b")))),
    ("-(a + b)", ast.Unary("-", ast.Binary("+", name("a"), name("b")))),
    ("((a))", name("a")),
    ("regime == 0", ast.Binary("==", name("regime"), n(0))),
    ("a != b", ast.Binary("!=", name("a"), name("b"))),
    ("a < b", ast.Binary("<", name("a"), name("b"))),
    ("a <= b", ast.Binary("<=", name("a"), name("b"))),
    ("a > b", ast.Binary(">", name("a"), name("b"))),
    ("a >= b", ast.Binary(">=", name("a"), name("b"))),
    ("a + 1 > b * 2", ast.Binary(">", ast.Binary("+", name("a"), n(1)), ast.Binary("*", name("b"), n(2)))),
    ("a and b or c", ast.Binary("or", ast.Binary("and", name("a"), name("b")), name("c"))),
    ("a or b and c", ast.Binary("or", name("a"), ast.Binary("and", name("b"), name("c")))),
    ("not a", ast.Unary("not", name("a"))),
    ("not a == b", ast.Unary("not", ast.Binary("==", name("a"), name("b")))),
    ("not a and b", ast.Binary("and", ast.Unary("not", name("a")), name("b"))),
    ("not not a", ast.Unary("not", ast.Unary("not", name("a")))),
    ('symbol == "SPX" and direction > 0',
     ast.Binary("and", ast.Binary("==", name("symbol"), ast.String("SPX")), ast.Binary(">", name("direction"), n(0)))),
])
def test_expression(text: str, expected: ast.Expr) -> None:
    assert value(text) == expected


def test_numbers_keep_their_spelling_and_type() -> None:
    number = value("1_000_000")
    assert number.text == "1_000_000" and isinstance(number.value, int)
    assert isinstance(value("1e3").value, float)
    assert isinstance(value("100").value, int)


def test_settings_take_every_expression_form() -> None:
    text = """
containers c {
    root: backtest {
        s: strategy {
            signal = crossover(fast_ma, slow_ma)
            active = regime == 0 and not (vol > 0.5) or -x < -1e-3
            size = percent_equity(p = 10) * 2 / 3 + 1 - 0.5
            sources = [sample("sp500"), sample("nasdaq", symbol = "NDX")]
        }
    }
}
"""
    (root,) = decl(text).roots
    settings = {s.name: s.value for s in root.children[0].settings}
    assert settings["signal"] == ast.Call("crossover", (name("fast_ma"), name("slow_ma")))
    assert settings["active"] == ast.Binary(
        "or",
        ast.Binary("and", ast.Binary("==", name("regime"), n(0)),
                   ast.Unary("not", ast.Binary(">", name("vol"), n(0.5)))),
        ast.Binary("<", ast.Unary("-", name("x")), ast.Unary("-", n(0.001))),
    )
    assert settings["size"] == ast.Binary("-", ast.Binary("+", ast.Binary("/", ast.Binary(
        "*", ast.Call("percent_equity", (), (ast.Keyword("p", n(10)),)), n(2)), n(3)), n(1)), n(0.5))
    assert settings["sources"] == ast.ListExpr((
        ast.Call("sample", (ast.String("sp500"),)),
        ast.Call("sample", (ast.String("nasdaq"),), (ast.Keyword("symbol", ast.String("NDX")),)),
    ))


# ---- communication ---------------------------------------------------------------------------------


def adapter(statement: str) -> ast.Adapter:
    communication = decl(f"communication c {{\n    {statement}\n}}")
    (only,) = communication.adapters
    return only


def test_pipeline() -> None:
    assert adapter("pipeline data -> features -> strategy") == ast.Pipeline(
        (ref("data"), ref("features"), ref("strategy")))


def test_broadcast() -> None:
    assert adapter("broadcast data -> strategy, risk : BAR") == ast.Broadcast(
        ref("data"), (ref("strategy"), ref("risk")), idents("BAR"))


def test_route_with_and_without_when() -> None:
    assert adapter("route a, b -> c, d : ORDER, FILL") == ast.Route(
        (ref("a"), ref("b")), (ref("c"), ref("d")), idents("ORDER", "FILL"), None)
    assert adapter('route s -> r : SIGNAL when direction > 0 and symbol == "SPX"') == ast.Route(
        (ref("s"),), (ref("r"),), idents("SIGNAL"),
        ast.Binary("and", ast.Binary(">", name("direction"), n(0)),
                   ast.Binary("==", name("symbol"), ast.String("SPX"))))


def test_selective_on_one_line_and_over_several_with_a_trailing_comma() -> None:
    expected = ast.Selective(ref("strategy"), (
        ast.Case(ast.Binary("==", name("symbol"), ast.String("SPX")), ref("risk_spx")),
        ast.Case(ast.Binary(">", name("strength"), n(0.5)), ref("risk_big")),
        ast.Case(None, ref("risk_ndx")),
    ), idents("SIGNAL"))
    one_line = ('selective strategy -> { symbol == "SPX" => risk_spx, strength > 0.5 => risk_big, '
                "else => risk_ndx } : SIGNAL")
    several = """selective strategy -> {
        symbol == "SPX" => risk_spx,
        strength > 0.5 => risk_big,
        else => risk_ndx,
    } : SIGNAL"""
    assert adapter(one_line) == expected
    assert adapter(several) == expected
    assert adapter("selective a -> { else => b } : S") == ast.Selective(ref("a"), (ast.Case(None, ref("b")),),
                                                                         idents("S"))
    assert adapter("selective a -> { x > 0 => b } : S") == ast.Selective(
        ref("a"), (ast.Case(ast.Binary(">", name("x"), n(0)), ref("b")),), idents("S"))


def test_hierarchical_and_feedback() -> None:
    assert adapter("hierarchical classifier : BAR, FEATURE, REGIME") == ast.Hierarchical(
        ref("classifier"), idents("BAR", "FEATURE", "REGIME"))
    assert adapter("feedback portfolio -> risk_a, risk_b : PORTFOLIO") == ast.Feedback(
        (ref("portfolio"),), (ref("risk_a"), ref("risk_b")), idents("PORTFOLIO"))


def test_dotted_refs() -> None:
    assert adapter("pipeline classifier.trend -> a.b.c") == ast.Pipeline((ref("classifier.trend"), ref("a.b.c")))
    assert ref("classifier.trend").dotted == "classifier.trend"


def test_communication_holds_every_adapter_in_order() -> None:
    text = """communication all {
    pipeline a -> b
    broadcast a -> b : BAR
    route a -> b : BAR
    selective a -> { else => b } : BAR
    hierarchical a : BAR
    feedback a -> b : BAR
}"""
    kinds = [type(a) for a in decl(text).adapters]
    assert kinds == [ast.Pipeline, ast.Broadcast, ast.Route, ast.Selective, ast.Hierarchical, ast.Feedback]


# ---- workflows -------------------------------------------------------------------------------------


def test_workflow_with_and_without_description() -> None:
    body = "{\n    containers = simple_backtest\n    communication = pipeline\n}"
    items = (ast.WorkflowSetting("containers", name("simple_backtest")),
             ast.WorkflowSetting("communication", name("pipeline")))
    assert decl(f'workflow w "A description" {body}') == ast.WorkflowDecl("w", "A description", items)
    assert decl(f"workflow w {body}") == ast.WorkflowDecl("w", None, items)


def test_workflow_statements() -> None:
    text = """workflow grid "Grid" {
    containers = simple_backtest
    sweep fast in [5, 10, 20]
    sweep slow in range(20, 100, 10)
    objective = sharpe
    periods_per_year = 252
    walk_forward train = 500, test = 100, step = 100
}"""
    assert decl(text).items == (
        ast.WorkflowSetting("containers", name("simple_backtest")),
        ast.Sweep("fast", ast.ListExpr((n(5), n(10), n(20)))),
        ast.Sweep("slow", ast.Call("range", (n(20), n(100), n(10)))),
        ast.WorkflowSetting("objective", name("sharpe")),
        ast.WorkflowSetting("periods_per_year", n(252)),
        ast.WalkForward((ast.Keyword("train", n(500)), ast.Keyword("test", n(100)), ast.Keyword("step", n(100)))),
    )


# ---- statement separators and newlines -------------------------------------------------------------


def test_semicolons_separate_statements() -> None:
    assert decls("param a: int = 1; param b: int = 2;") == (
        ast.Param("a", ast.Ident("int"), n(1)), ast.Param("b", ast.Ident("int"), n(2)))
    workflow = decl("workflow w { containers = c; communication = p; sweep a in [1] }")
    assert len(workflow.items) == 3
    container = decl("containers c { r: backtest { a = 1; b = 2 } }").roots[0]
    assert [s.name for s in container.settings] == ["a", "b"]


def test_blank_lines_and_separators_are_folded() -> None:
    assert len(decls("\n\n;;param a: int\n\n\n;\nparam b: int\n;\n")) == 2


def test_newlines_inside_brackets_and_after_comma_and_arrow_are_ignored() -> None:
    assert value("f(\n  1,\n  x = 2\n)") == ast.Call("f", (n(1),), (ast.Keyword("x", n(2)),))
    assert value("[\n 1\n ,\n 2\n]") == ast.ListExpr((n(1), n(2)))
    assert value("(1 +\n 2)") == ast.Binary("+", n(1), n(2))
    assert adapter("pipeline a ->\n        b ->\n        c") == ast.Pipeline((ref("a"), ref("b"), ref("c")))
    assert adapter("broadcast a -> b,\n        c : BAR,\n        FILL") == ast.Broadcast(
        ref("a"), (ref("b"), ref("c")), idents("BAR", "FILL"))


def test_crlf_line_endings_and_tabs() -> None:
    text = "param a: int = 1\r\ncontainers c {\r\n\tr: backtest {\r\n\t\tx = 1\r\n\t}\r\n}\r\n"
    a, c = decls(text)
    assert a == ast.Param("a", ast.Ident("int"), n(1))
    assert c.roots[0].settings == (ast.Setting("x", n(1)),)


def test_a_byte_order_mark_is_ignored() -> None:
    assert decls("\ufeffparam a: int = 1") == decls("param a: int = 1")
    assert parse(b"\xef\xbb\xbfparam a: int = 1", "bom.flow").declarations == decls("param a: int = 1")


# ---- contextual keywords ---------------------------------------------------------------------------


def test_keywords_are_names_where_no_keyword_is_expected() -> None:
    assert decl("communication pipeline {\n    pipeline a -> b\n}").name == "pipeline"
    assert decl("workflow w {\n    containers = simple\n    communication = pipeline\n}").items == (
        ast.WorkflowSetting("containers", name("simple")), ast.WorkflowSetting("communication", name("pipeline")))
    root = decl("containers c {\n    route: strategy { signal = x }\n    event: feature { in = 1 }\n}").roots
    assert [r.name for r in root] == ["route", "event"]
    assert adapter("pipeline data -> route -> selective") == ast.Pipeline((ref("data"), ref("route"),
                                                                           ref("selective")))
    assert adapter("route route -> when : BAR when when > 0") == ast.Route(
        (ref("route"),), (ref("when"),), idents("BAR"), ast.Binary(">", name("when"), n(0)))
    assert decl("param param: int = 1") == ast.Param("param", ast.Ident("int"), n(1))
    assert decl("event event { in: f64 }") == ast.EventDecl("event", (ast.EventField("in", ast.Ident("f64")),))


def test_a_name_that_starts_with_a_keyword_is_one_word() -> None:
    assert value("true_range + notional + order") == ast.Binary(
        "+", ast.Binary("+", name("true_range"), name("notional")), name("order"))
    assert decl("workflow w { sweeps = 1 }").items == (ast.WorkflowSetting("sweeps", n(1)),)


@pytest.mark.parametrize("text", [
    "paramfast: int = 1",
    'importx "a.flow"',
    "communication c {\n    pipelinea -> b\n}",
    "workflow w {\n    sweep x inx\n}",
    "role r { consumesBAR }",
    "param a: bool = b andc",
])
def test_a_keyword_glued_to_the_next_word_is_an_error(text: str) -> None:
    """A contextual lexer would read `paramfast` as `param fast`; the post-lexer refuses it."""
    with pytest.raises(FlowError) as caught:
        parse(text, "glued.flow")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "FL105", diagnostic


# ---- spans -----------------------------------------------------------------------------------------


def test_spans_point_at_the_source() -> None:
    text = 'param fast: int = 10\n\ncontainers c {\n    data: data {\n        source = sample("sp500")\n    }\n}\n'
    param, containers = decls(text)
    assert (param.span.line, param.span.column, param.span.end_line, param.span.end_column) == (1, 1, 1, 21)
    assert (param.type.span.line, param.type.span.column, param.type.span.end_column) == (1, 13, 16)
    assert (param.default.span.column, param.default.span.end_column) == (19, 21)
    data = containers.roots[0]
    assert (data.span.line, data.span.column, data.span.end_line, data.span.end_column) == (4, 5, 6, 6)
    setting = data.settings[0]
    assert (setting.span.line, setting.span.column, setting.span.end_column) == (5, 9, 33)
    assert text[setting.span.start:setting.span.end] == 'source = sample("sp500")'
    assert text[setting.value.args[0].span.start:setting.value.args[0].span.end] == '"sp500"'
    assert param.span.path == "test.flow"


def test_spans_of_refs_events_and_binary_operators() -> None:
    text = "communication c {\n    route a.b -> c : BAR when x + 1 > 2\n}"
    route = decl(text).adapters[0]
    assert text[route.sources[0].span.start:route.sources[0].span.end] == "a.b"
    assert (route.events[0].span.line, route.events[0].span.column) == (2, 22)
    assert text[route.when.span.start:route.when.span.end] == "x + 1 > 2"
    assert text[route.when.left.span.start:route.when.left.span.end] == "x + 1"
    assert text[route.span.start:route.span.end] == "route a.b -> c : BAR when x + 1 > 2"
