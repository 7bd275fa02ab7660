"""The entry point: one lark exception and the lexer context become the one diagnostic a user reads.

It sorts the exception: a character the lexer could not take, the end of the file however
lark reports it (an `UnexpectedEOF`, an `$END` token, or the newline of a last line followed
only by blanks and comments), or an unexpected token, for which the checks run in order and
the generic message is the fallback.
"""

from __future__ import annotations

import re

import lark
from lark import Token

from flowc.dsl.diagnostics import Diagnostic
from flowc.dsl.source import SourceFile
from flowc.dsl.syntax_errors.characters import bad_character
from flowc.dsl.syntax_errors.checks import CHECKS
from flowc.dsl.syntax_errors.context import LexContext
from flowc.dsl.syntax_errors.end_of_file import end_of_file
from flowc.dsl.syntax_errors.expected import expected_terminals
from flowc.dsl.syntax_errors.generic import generic_error
from flowc.dsl.syntax_errors.positions import token_span


def describe_syntax_error(source: SourceFile, exc: lark.exceptions.UnexpectedInput,
                          context: LexContext) -> Diagnostic:
    """Turn one lark exception into the diagnostic a user should read."""
    if isinstance(exc, lark.exceptions.UnexpectedCharacters):
        return bad_character(source, exc.pos_in_stream)
    token = getattr(exc, "token", None)
    expected = expected_terminals(exc)
    if isinstance(exc, lark.exceptions.UnexpectedEOF) or token is None or token.type == "$END":
        return end_of_file(source, expected, context, source.end_span)
    if token.type == "_NL" and _ONLY_BLANKS.fullmatch(source.text, token.end_pos or 0):
        return end_of_file(source, expected, context, token_span(source, token))  # the last line
    return _unexpected_token(source, token, expected, context)


_ONLY_BLANKS = re.compile(r"(?:\s|#[^\n]*)*")


def _unexpected_token(source: SourceFile, token: Token, expected: frozenset[str],
                      context: LexContext) -> Diagnostic:
    for check in CHECKS:
        diagnostic = check(source, token, expected, context)
        if diagnostic is not None:
            return diagnostic
    return generic_error(source, token, expected, context)
