"""The message when no check recognises the mistake: expected this, found that, and a hint.

The hint is the likeliest of a few general ones (a statement keyword in the middle of a
line, a bracket still open, a `)` that closed too early) or else the form of the statement
being written, so every syntax error says at least what shape the line should have.
"""

from __future__ import annotations

import re

from lark import Token

from flowc.dsl.diagnostics import Diagnostic, diagnose
from flowc.dsl.source import SourceFile
from flowc.dsl.syntax_errors.context import ADAPTERS, DECLARATIONS, WORKFLOW_STATEMENTS, LexContext, is_keyword_token
from flowc.dsl.syntax_errors.expected import CLOSERS, expected_phrase, shown
from flowc.dsl.syntax_errors.nesting import closed_too_early
from flowc.dsl.syntax_errors.positions import token_span, where_token


def generic_error(source: SourceFile, token: Token, expected: frozenset[str], context: LexContext) -> Diagnostic:
    phrase = expected_phrase(expected, context)
    after = ""
    previous = context.previous
    if phrase == "an expression" and previous is not None and previous.type != "_NL":
        after = f" after {shown(previous)}"
    starts_statement = is_keyword_token(token) and str(token) in (*DECLARATIONS, *ADAPTERS, *WORKFLOW_STATEMENTS)
    hint = None
    if str(token) in ADAPTERS and starts_statement and not context.blocks:
        hint = "adapter statements belong inside a `communication name { ... }` block"
    elif starts_statement and "_NL" in expected:
        hint = "write one statement per line, or separate statements with `;`"
    elif context.brackets and _is_group(source, context.brackets[-1]) and token.type == "COMMA":
        hint = ("`( )` groups one expression; a call has its name before `(`, as in `sample(...)`, "
                "and a list is written `[a, b]`")
    elif context.brackets and CLOSERS[context.brackets[-1].type] in expected:
        bracket = context.brackets[-1]
        hint = f"the `{bracket}` at {where_token(source, bracket)} is still open"
    elif previous is not None and previous.type in ("RPAR", "RSQB") and token.type == "COMMA":
        hint = closed_too_early(source, previous)
    if hint is None and context.statement and context.statement[0].type in _FORMS:
        hint = f"the form is {_FORMS[context.statement[0].type]}"
    return diagnose("FL101", token_span(source, token), hint,
                    detail=f"expected {phrase}{after}, found {shown(token)}")


def _is_group(source: SourceFile, bracket: Token) -> bool:
    """A `(` that groups rather than calls: no name right before it."""
    return bracket.type == "LPAR" and not re.search(r"\w\s*$", source.text[:bracket.start_pos][-80:])


_FORMS = {
    "IMPORT": '`import "path.flow"`',
    "PARAM": "`param name: type = default`",
    "ROLE": "`role name { consumes EVENT, ...; produces EVENT, ... }`",
    "CONTAINERS": "`containers name { root: role { ... } }`",
    "COMMUNICATION": "`communication name { ... }`",
    "WORKFLOW": '`workflow name "description" { ... }`',
    "PIPELINE": "`pipeline a -> b -> c`",
    "BROADCAST": "`broadcast a -> b, c : EVENT, ...`",
    "ROUTE": "`route a, b -> c, d : EVENT, ... when predicate`",
    "SELECTIVE": "`selective a -> { predicate => b, else => c } : EVENT, ...`",
    "HIERARCHICAL": "`hierarchical parent : EVENT, ...`",
    "FEEDBACK": "`feedback a -> b : EVENT, ...`",
    "SWEEP": "`sweep param in [values]` or `sweep param in range(start, stop, step)`",
    "WALK_FORWARD": "`walk_forward train = N, test = M, step = K`",
}
