"""How the tokens the parser expected are shown: as a user names them, never as lark's terminals.

`an expression`, `a declaration`, `)` rather than `LPAR`, `_NL`. The exact set comes from
`exc.interactive_parser.accepts()` (lark's `expected` is sometimes the contextual lexer's set
instead); `expected_phrase` folds it into words, from the most to the least likely thing the
user meant, using the open block to say `a setting` or `a field` where a bare name fits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import lark
from lark import Token

from flowc.dsl.syntax_errors.context import ADAPTERS, DECLARATIONS, KEYWORDS, LexContext

PUNCTUATION = {  # in the order a message lists them: what continues a statement first, closers last
    "_ARROW": "->", "_FATARROW": "=>", "EQUAL": "=", "COLON": ":", "COMMA": ",", "DOT": ".", "PLUS": "+",
    "MINUS": "-", "LPAR": "(", "LSQB": "[", "LBRACE": "{", "RPAR": ")", "RSQB": "]", "RBRACE": "}",
}
_CLASSES = {
    "NAME": "a name", "NUMBER": "a number", "STRING": "a string", "COMPARE": "a comparison",
    "MUL": "`*` or `/`", "_NL": "the end of the line", "$END": "the end of the file",
}
EXPRESSION_START = frozenset({"NAME", "NUMBER", "STRING", "LPAR", "LSQB", "MINUS"})
EXPRESSION_EXTRA = frozenset({"TRUE", "FALSE", "NOT"})
_OPERATORS = frozenset({"PLUS", "MINUS", "MUL", "COMPARE", "AND", "OR"})
CLOSERS = {"LPAR": "RPAR", "LSQB": "RSQB"}


def expected_terminals(exc: lark.exceptions.UnexpectedInput) -> frozenset[str]:
    """The terminals the parser could have taken: exact when lark's interactive parser is at hand."""
    interactive = getattr(exc, "interactive_parser", None)
    if interactive is not None:
        return frozenset(interactive.accepts())
    return frozenset(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ())


def keyword_terminals(expected: Iterable[str]) -> list[str]:
    return sorted(t.lower() for t in expected if t.lower() in KEYWORDS)


def _quoted(words: Iterable[str]) -> str:
    return ", ".join(f"`{w}`" for w in words)


def _join(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def expected_phrase(expected: frozenset[str], context: LexContext) -> str:
    """`expected` in words, from the most to the least likely thing the user meant."""
    rest = set(expected) - {"WS", "COMMENT"}
    words: list[str] = []
    if {"IMPORT", "WORKFLOW"} <= rest:
        return f"a declaration ({_quoted(DECLARATIONS)})"
    if {"PIPELINE", "FEEDBACK"} <= rest:
        rest -= {k.upper() for k in ADAPTERS} | {"_NL"}
        words.append(f"an adapter statement ({_quoted(ADAPTERS)})")
    block = context.blocks[-1].kind if context.blocks else ""
    at_start = not context.statement
    if at_start and "NAME" in rest and block in ("pattern", "container"):
        rest -= {"NAME", "_NL"}
        words.append("a setting (`name = value`)" if block == "container" else "a container (`name: role { ... }`)")
        if block == "container":
            words.append("a child container (`name: role { ... }`)")
    elif at_start and "NAME" in rest and block == "workflow":
        rest -= {"NAME", "SWEEP", "WALK_FORWARD", "_NL"}
        words.append("a setting (`name = value`), `sweep`, `walk_forward`")
    elif block == "event" and "NAME" in rest and (
            context.previous is None or context.previous.type in ("LBRACE", "COMMA", "_NL")):
        rest -= {"NAME", "_NL"}
        words.append("a field (`name: type`)")
    if rest >= EXPRESSION_START:
        rest -= EXPRESSION_START | EXPRESSION_EXTRA
        words.append("an expression")
    if rest >= _OPERATORS:
        rest -= _OPERATORS
        words.append("an operator")
    if "DOT" in rest and len(rest) > 1:
        rest.discard("DOT")  # `a.b` is rarely what was meant where something else also fits
    words += [_CLASSES[t] for t in ("NAME", "NUMBER", "STRING") if t in rest]
    words += [f"`{k}`" for k in keyword_terminals(rest)]
    words += [f"`{PUNCTUATION[t]}`" for t in PUNCTUATION if t in rest]
    words += [_CLASSES[t] for t in ("COMPARE", "MUL") if t in rest]
    at_line_start = context.previous is None or context.previous.type in ("_NL", "LBRACE")
    if "_NL" in rest and not at_line_start:  # blank lines before a statement are always fine
        words.append("the end of the line")
    if "$END" in rest and "the end of the line" not in words:
        words.append("the end of the file")
    return _join(words) if words else "something else"


def shown(token: Token) -> str:
    if token.type == "_NL":
        return "`;`" if str(token) == ";" else "the end of the line"
    if token.type == "$END":
        return "the end of the file"
    return f"`{token}`"
