"""The file ends too early: inside a bracket, in the middle of a statement, or with blocks still open.

`describe_syntax_error` sends here every way lark reports the end of the input (an
`UnexpectedEOF`, an `$END` token, or the newline of the last line), so the three read alike.
"""

from __future__ import annotations

from collections.abc import Sequence

from flowc.dsl.diagnostics import Diagnostic, diagnose
from flowc.dsl.source import SourceFile, Span
from flowc.dsl.syntax_errors.context import LexContext, OpenBlock
from flowc.dsl.syntax_errors.expected import expected_phrase, shown
from flowc.dsl.syntax_errors.nesting import unclosed_by_indentation
from flowc.dsl.syntax_errors.positions import where_token


def end_of_file(source: SourceFile, expected: frozenset[str], context: LexContext, span: Span) -> Diagnostic:
    """The file ends too early: inside a bracket, inside a statement, or with blocks still open."""
    if context.brackets:
        bracket = context.brackets[-1]
        closer = ")" if bracket.type == "LPAR" else "]"
        return diagnose("FL102", span,
                        f"add `{closer}` where the {'call or group' if closer == ')' else 'list'} ends",
                        detail=f"the file ends before the `{bracket}` opened at {where_token(source, bracket)} "
                               "is closed")
    statement_complete = bool({"_NL", "RBRACE"} & expected)
    if context.blocks and statement_complete:
        span = source.end_span
        block = context.blocks[-1]
        message = (f"expected `}}` to close {block.what} (opened at {where_token(source, block.token)}), "
                   "found the end of the file")
        hint = unclosed_by_indentation(source) or _close_all_hint(source, context.blocks)
        return diagnose("FL110", span, hint, detail=message)
    phrase = expected_phrase(expected, context) if expected else "more"
    after = f" after {shown(context.previous)}" if context.previous is not None else ""
    return diagnose("FL102", span, detail=f"the file ends too early: expected {phrase}{after}")


def _close_all_hint(source: SourceFile, blocks: Sequence[OpenBlock]) -> str:
    if len(blocks) == 1:
        return "add `}` at the end of the file"
    opened = ", ".join(f"{b.what} ({where_token(source, b.token)})" for b in reversed(blocks))
    return f"{len(blocks)} blocks are still open: {opened}; add a `}}` for each"
