"""Where things are: the spans a diagnostic points at, `line:column` in messages, the lines of code.

Every kind of syntax error needs these, and each has one subtlety worth keeping in one
place: a newline token points at the end of its line, not at the invisible newline.
"""

from __future__ import annotations

from lark import Token

from flowc.dsl.source import SourceFile, Span


def span_of(source: SourceFile, start: int | None, end: int | None) -> Span:
    start = start or 0
    return source.span(start, max(start, end if end is not None else start))


def token_span(source: SourceFile, token: Token) -> Span:
    start = token.start_pos or 0
    end = token.end_pos if token.end_pos is not None else start + len(token)
    if token.type == "_NL":  # point at where the line ends, not at the (invisible) newline
        end = start
    return source.span(start, end)


def where_token(source: SourceFile, token: Token) -> str:
    span = token_span(source, token)
    return f"{span.line}:{span.column}"


def where(source: SourceFile, offset: int) -> str:
    line, column = source.position(offset)
    return f"{line}:{column}"


def indent_of(source: SourceFile, line: int) -> int:
    text = source.line_text(line)
    return len(text) - len(text.lstrip(" \t"))


def last_code_line(source: SourceFile, first: int, before: int) -> int:
    """The last line before `before` (and not before `first`) that holds more than blanks and comments."""
    return next((n for n in range(before - 1, first, -1) if is_code(source, n)), first)


def is_code(source: SourceFile, line: int) -> bool:
    text = source.line_text(line).strip()
    return bool(text) and not text.startswith("#")
