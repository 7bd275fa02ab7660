"""Syntax errors in words: lark's exceptions become one diagnostic that says what was expected.

Common mistakes get their own code and message (a misspelt keyword, `=` for
`:`, `=>` for `->`, a block never closed); everything else says what the
parser expected, named as a user would name it, never as a token dump.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import lark
from flowc.dsl.diagnostics import Diagnostic, Fix, error
from flowc.dsl.source import SourceFile, Span
from lark import Token

_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": "a string",
    "_NL": "the end of the line",
    "SEMICOLON": "`;`",
    "COMPARE": "a comparison",
    "MUL": "`*` or `/`",
    "_ARROW": "`->`",
    "_FATARROW": "`=>`",
    "$END": "the end of the file",
}
_PUNCT = {"LBRACE": "{", "RBRACE": "}", "LPAR": "(", "RPAR": ")", "LSQB": "[", "RSQB": "]",
          "COLON": ":", "COMMA": ",", "EQUAL": "=", "DOT": ".", "PLUS": "+", "MINUS": "-"}
_DECLARATIONS = ("import", "param", "event", "role", "containers", "communication", "workflow")
_ADAPTERS = ("pipeline", "broadcast", "route", "selective", "hierarchical", "feedback")


def _word(terminal: str) -> str:
    if terminal in _WORDS:
        return _WORDS[terminal]
    if terminal in _PUNCT:
        return f"`{_PUNCT[terminal]}`"
    return f"`{terminal.lower()}`"


def _keywords(expected: set[str]) -> list[str]:
    return sorted(t.lower() for t in expected if t.isalpha() and t.isupper() and t not in _WORDS)


def _expected_phrase(expected: set[str]) -> str:
    keywords = set(_keywords(expected))
    if {"IMPORT", "WORKFLOW"} <= expected:
        return "a declaration (" + ", ".join(f"`{k}`" for k in _DECLARATIONS) + ")"
    if {"PIPELINE", "FEEDBACK"} <= expected:
        return "an adapter statement (" + ", ".join(f"`{k}`" for k in _ADAPTERS) + ") or `}`"
    words = sorted({_word(t) for t in expected if t.lower() not in keywords or t in _WORDS})
    words += [f"`{k}`" for k in sorted(keywords)]
    words = [w for w in words if w != "the end of the line"] + (
        ["the end of the line"] if "_NL" in expected else [])
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _token_span(source: SourceFile, token: Token) -> Span:
    start = token.start_pos or 0
    end = token.end_pos if token.end_pos is not None else start + len(token)
    return source.span(start, end)


def _shown(token: Token) -> str:
    if token.type == "_NL":
        return "the end of the line"
    if token.type == "$END":
        return "the end of the file"
    return f"`{token}`"


def describe_syntax_error(source: SourceFile, exc: lark.exceptions.UnexpectedInput,
                          blocks: Sequence, statement: Sequence[Token]) -> Diagnostic:
    """Turn one lark exception into the diagnostic a user should read."""
    if isinstance(exc, lark.exceptions.UnexpectedCharacters):
        return _bad_character(source, exc)
    token = getattr(exc, "token", None)
    expected = set(getattr(exc, "expected", None) or getattr(exc, "accepts", None) or ())
    if isinstance(exc, lark.exceptions.UnexpectedEOF) or token is None or token.type == "$END":
        return _end_of_file(source, expected, blocks)
    return _unexpected_token(source, token, expected, statement)


def _bad_character(source: SourceFile, exc: lark.exceptions.UnexpectedCharacters) -> Diagnostic:
    offset = exc.pos_in_stream
    char = source.text[offset] if offset < len(source.text) else ""
    span = source.span(offset, offset + 1)
    if char == '"':
        line_end = source.text.find("\n", offset)
        line_end = len(source.text) if line_end < 0 else line_end
        return error("FL108", "this string is not closed before the end of the line",
                     source.span(offset, line_end),
                     'close it with `"`; write `\\"` for a quote and `\\\\` for a backslash inside')
    shown = repr(char) if not char.isprintable() or char.isspace() else f"`{char}`"
    return error("FL103", f"unexpected character {shown}", span,
                 "names are letters, digits and `_`; comments start with `#`")


def _end_of_file(source: SourceFile, expected: set[str], blocks: Sequence) -> Diagnostic:
    span = source.end_span
    if blocks:
        block = blocks[-1]
        opened = _token_span(source, block.token)
        return error("FL110", f"expected `}}` to close {block.what} opened at {opened.line}:{opened.column}",
                     span, "add the missing `}`; the block's contents are indented one level deeper")
    phrase = _expected_phrase(expected) if expected else "more input"
    return error("FL102", f"the file ends in the middle of a statement; expected {phrase}", span)


def _unexpected_token(source: SourceFile, token: Token, expected: set[str],
                      statement: Sequence[Token]) -> Diagnostic:
    span = _token_span(source, token)
    keywords = _keywords(expected)
    if token.type == "NAME" and keywords and "NAME" not in expected:
        close = difflib.get_close_matches(str(token), keywords, n=1, cutoff=0.6)
        if close:
            return error("FL105", f"unknown keyword `{token}`", span, f"did you mean `{close[0]}`?",
                         Fix(span, close[0], f"replace with `{close[0]}`"))
    if token.type == "EQUAL" and "COLON" in expected:
        return error("FL106", "expected `:` here, found `=`", span,
                     "a container is declared `name: role { ... }` and a param `param name: type = value`",
                     Fix(span, ":", "replace `=` with `:`"))
    if token.type == "LBRACE" and len(statement) == 3 and statement[1].type == "EQUAL":
        equal = _token_span(source, statement[1])
        return error("FL106", f"a container is declared `{statement[0]}: {statement[2]} {{ ... }}`, with `:`",
                     equal, "replace `=` with `:`", Fix(equal, ":", "replace `=` with `:`"))
    if token.type == "_FATARROW" and "_ARROW" in expected:
        return error("FL107", "expected `->` here, found `=>`", span,
                     "routes are written `source -> target`; `=>` only follows a predicate in `selective`",
                     Fix(span, "->", "replace `=>` with `->`"))
    if token.type == "_ARROW" and "_FATARROW" in expected:
        return error("FL107", "expected `=>` here, found `->`", span,
                     "a selective case is written `predicate => target`",
                     Fix(span, "=>", "replace `->` with `=>`"))
    message = f"unexpected {_shown(token)}; expected {_expected_phrase(expected)}"
    return error("FL101", message, span)
