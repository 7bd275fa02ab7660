"""Hypothesis strategies that draw valid `.flow` programs as ASTs, and lay them out messily.

Shared by the property tests of the front end (formatter, parser). `modules()` builds
every kind of declaration and `expressions()` every operator; both build only what the
grammar can say: numbers are non-negative and finite (a minus is a `Unary`), `else` is
the last case of a `selective`, lists that the grammar requires are non-empty, and a
keyword is used as a name only where the grammar takes any name (keywords are
contextual: `communication pipeline { ... }` is valid, `x = not` is not).
`messy_layouts(text)` re-spaces a canonical text without changing what it means, adding
newlines where the language allows them and comments before newlines.
"""

from __future__ import annotations

import re
import string
from importlib import resources
from itertools import pairwise

from hypothesis import strategies as st

from flowc.dsl import ast

#: Every keyword of the grammar (its quoted words), so a new keyword is picked up here.
KEYWORDS = frozenset(re.findall(
    r'"([A-Za-z_]+)"', resources.files("flowc.grammars").joinpath("flow.lark").read_text(encoding="utf-8")))

_FIRST = string.ascii_letters + "_"
_REST = _FIRST + string.digits
_plain = st.builds(lambda head, tail: head + tail, st.sampled_from(_FIRST), st.text(_REST, max_size=7))
_near_keywords = st.sampled_from(["in_", "notional", "order", "android", "elsewhere", "trueish", "_", "when2"])

#: Names that are never keywords: safe anywhere a NAME goes.
names = st.one_of(_plain, _near_keywords).filter(lambda name: name not in KEYWORDS)
#: Where the grammar expects only a NAME, a keyword is lexed as a name.
any_names = st.one_of(names, st.sampled_from(sorted(KEYWORDS)))
#: An expression starts with `not`, `true`, `false` (and a case with `else`) as keywords.
expr_names = any_names.filter(lambda name: name not in {"not", "true", "false", "else"})
#: A workflow statement starts with `sweep` or `walk_forward` as keywords.
workflow_setting_names = any_names.filter(lambda name: name not in {"sweep", "walk_forward"})

idents = any_names.map(ast.Ident)
refs = st.lists(any_names, min_size=1, max_size=3).map(lambda parts: ast.Ref(tuple(parts)))


def _tuples(elements: st.SearchStrategy, min_size: int = 0, max_size: int = 3) -> st.SearchStrategy:
    return st.lists(elements, min_size=min_size, max_size=max_size).map(tuple)


# ---- expressions -------------------------------------------------------------------------

_integers = st.integers(0, 10**12).flatmap(
    lambda n: st.sampled_from([str(n), format(n, "_")]).map(lambda text: ast.Number(n, text)))
_floats = st.floats(0, 1e20, allow_nan=False, allow_infinity=False).map(ast.Number)
strings = st.text(st.characters(exclude_characters="\n", exclude_categories=("Cs",)), max_size=12)

_atoms = st.one_of(
    _integers,
    _floats,
    strings.map(ast.String),
    st.booleans().map(ast.Bool),
    expr_names.map(ast.Name),
)
BINARY_OPERATORS = ("or", "and", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/")


def _compound(children: st.SearchStrategy) -> st.SearchStrategy:
    keywords = st.builds(ast.Keyword, expr_names, children)
    return st.one_of(
        st.builds(ast.Unary, st.sampled_from(["-", "not"]), children),
        st.builds(ast.Binary, st.sampled_from(BINARY_OPERATORS), children, children),
        st.builds(ast.Call, expr_names, _tuples(children), _tuples(keywords, max_size=2)),
        st.builds(ast.ListExpr, _tuples(children)),
    )


def expressions(max_leaves: int = 10) -> st.SearchStrategy:
    return st.recursive(_atoms, _compound, max_leaves=max_leaves)


_expr = expressions()
_small_expr = expressions(max_leaves=4)

# ---- declarations ------------------------------------------------------------------------

_settings = st.builds(ast.Setting, any_names, _small_expr)
_container_items = st.recursive(
    _settings,
    lambda children: st.builds(ast.Container, any_names, idents, _tuples(children, max_size=4)),
    max_leaves=8,
)

_cases = st.builds(ast.Case, _small_expr, refs)
_else = st.builds(ast.Case, st.none(), refs)
_selective_cases = st.one_of(
    st.tuples(_tuples(_cases, min_size=1), _else.map(lambda c: (c,))).map(lambda both: both[0] + both[1]),
    _tuples(_cases, min_size=1),
    _else.map(lambda c: (c,)),
)
_ref_lists = _tuples(refs, min_size=1)
_events = _tuples(idents, min_size=1)

adapters = st.one_of(
    st.builds(ast.Pipeline, _tuples(refs, min_size=2, max_size=4)),
    st.builds(ast.Broadcast, refs, _ref_lists, _events),
    st.builds(ast.Route, _ref_lists, _ref_lists, _events, st.none() | _small_expr),
    st.builds(ast.Selective, refs, _selective_cases, _events),
    st.builds(ast.Hierarchical, refs, _events),
    st.builds(ast.Feedback, _ref_lists, _ref_lists, _events),
)

_workflow_items = st.one_of(
    st.builds(ast.WorkflowSetting, workflow_setting_names, _small_expr),
    st.builds(ast.Sweep, any_names, _small_expr),
    st.builds(ast.WalkForward, _tuples(st.builds(ast.Keyword, any_names, _small_expr), min_size=1)),
)

declarations = st.one_of(
    st.builds(ast.Import, strings),
    st.builds(ast.Param, any_names, idents, st.none() | _expr),
    st.builds(ast.EventDecl, any_names, _tuples(st.builds(ast.EventField, any_names, idents))),
    st.builds(ast.RoleDecl, any_names, _tuples(idents), _tuples(idents)),
    st.builds(ast.ContainersDecl, any_names, _tuples(_container_items)),
    st.builds(ast.CommunicationDecl, any_names, _tuples(adapters, max_size=4)),
    st.builds(ast.WorkflowDecl, any_names, st.none() | strings, _tuples(_workflow_items, max_size=4)),
)


def modules(path: str = "<input>", max_declarations: int = 6) -> st.SearchStrategy:
    return st.builds(ast.Module, st.just(path), _tuples(declarations, max_size=max_declarations))


# ---- messy layouts -----------------------------------------------------------------------

_TOKEN = re.compile(
    r'"(?:[^"\\\n]|\\["\\])*"'  # a string
    r"|[0-9][0-9_]*(?:\.[0-9_]+)?(?:[eE][+-]?[0-9]+)?"  # a number
    r"|[A-Za-z_][A-Za-z0-9_.]*"  # a name or dotted reference
    r"|->|=>|[=!<>]=|\n|\S"
)
_WORD = re.compile(r"[A-Za-z0-9_]")


@st.composite
def messy_layouts(draw: st.DrawFn, text: str) -> str:
    """`text` (comment-free) with random spaces and tabs between tokens, newlines where the
    language ignores them (after `{`, `,`, `->`, inside brackets, before `}`), blank lines,
    `;` for some line ends, and comments before some newlines."""
    tokens = _TOKEN.findall(text)
    out: list[str] = []
    depth = 0  # of ( and [, where newlines are ignored
    notes = 0
    commented = False  # the current line ends with a comment, so the newline must stay
    for token, following in pairwise([*tokens, ""]):  # "" follows the last token
        if token == "\n":
            if not commented and draw(st.integers(0, 4)) == 0:
                out.append("; ")
            else:
                out.append("\n" * draw(st.integers(1, 3)))
            commented = False
            continue
        out.append(token)
        depth += (token in ("(", "[")) - (token in (")", "]"))
        words = bool(_WORD.match(token[-1])) and bool(_WORD.match(following[:1]))
        out.append(draw(st.sampled_from([" ", "   ", "\t"] if words else ["", " ", "  ", "\t"])))
        newline_ok = following not in ("", "\n") and (depth > 0 or token in ("{", ",", "->") or following == "}")
        if not (newline_ok or following == "\n") or draw(st.integers(0, 2)):
            continue
        if draw(st.booleans()):
            out.append(f"  # note {notes}")
            notes += 1
            commented = True
        if newline_ok:
            out.append("\n")
            commented = False
    return "".join(out)
