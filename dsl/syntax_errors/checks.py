"""The catalogue of common mistakes, one check each, and the message and fix each deserves.

A misspelt keyword, `=` for `:`, `=>` for `->`, a keyword glued to the next word, a stray
`}` or `)`, a bracket or block never closed, `else` before the last case, a statement of the
wrong shape. Each check looks at the failing token, the exact expected set and the lexer
context, and returns a diagnostic only when it recognises its mistake; `CHECKS` runs them
most specific first. A new mistake is a new check here and a fixture in `tests/fixtures/syntax`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable

from lark import Token

from flowc.dsl.diagnostics import Diagnostic, Fix, diagnose
from flowc.dsl.source import SourceFile
from flowc.dsl.syntax_errors.context import DECLARATIONS, WORKFLOW_STATEMENTS, LexContext, is_keyword_token
from flowc.dsl.syntax_errors.expected import (
    CLOSERS,
    EXPRESSION_EXTRA,
    EXPRESSION_START,
    PUNCTUATION,
    keyword_terminals,
    shown,
)
from flowc.dsl.syntax_errors.nesting import closed_early_by_indentation
from flowc.dsl.syntax_errors.positions import last_code_line, span_of, token_span, where_token

_WORD_CHAR = re.compile(r"\w")


def glued_keyword(source: SourceFile, keyword: Token, rest: Token) -> Diagnostic:
    """A keyword written together with the word after it (`paramfast`): the lexer split one word in two."""
    word_end = rest.end_pos if rest.end_pos is not None else rest.start_pos + len(rest)
    match = re.compile(r"\w*").match(source.text, word_end)
    end = match.end() if match else word_end
    span = span_of(source, keyword.start_pos, end)
    word = source.text[keyword.start_pos:end]
    remainder = source.text[keyword.end_pos:end]
    return diagnose("FL105", span, f"did you mean `{keyword} {remainder}`? a keyword is a word of its own",
                    Fix(span_of(source, keyword.end_pos, keyword.end_pos), " ", f"add a space after `{keyword}`"),
                    detail=f"unknown keyword `{word}`")


def _check_glued_keyword(source: SourceFile, token: Token, expected: frozenset[str],
        context: LexContext) -> Diagnostic | None:
    previous = context.previous
    if (previous is not None and is_keyword_token(previous) and token.start_pos == previous.end_pos
            and _WORD_CHAR.match(str(token)[:1])):
        return glued_keyword(source, previous, token)
    return None


def _check_stray_closer(source: SourceFile, token: Token, expected: frozenset[str],
        context: LexContext) -> Diagnostic | None:
    span = token_span(source, token)
    if token.type == "RBRACE" and not context.blocks and not context.brackets:
        hint = closed_early_by_indentation(source, token.start_pos) or "delete it, or add the `{` it should close"
        return diagnose("FL101", span, hint, detail="unexpected `}`: every block is already closed")
    if token.type in ("RPAR", "RSQB"):
        opener = "(" if token.type == "RPAR" else "["
        if not context.brackets:
            return diagnose("FL101", span, f"delete it, or add the `{opener}` it should close",
                            detail=f"unexpected `{token}`: there is no open `{opener}` to close")
        bracket = context.brackets[-1]
        if CLOSERS[bracket.type] != token.type:
            closer = PUNCTUATION[CLOSERS[bracket.type]]
            return diagnose("FL101", span, f"replace `{token}` with `{closer}`",
                            Fix(span, closer, f"replace `{token}` with `{closer}`"),
                            detail=f"expected `{closer}` to close the `{bracket}` opened at "
                                   f"{where_token(source, bracket)}, found `{token}`")
    return None


def _check_unclosed_bracket(source: SourceFile, token: Token, expected: frozenset[str],
        context: LexContext) -> Diagnostic | None:
    """A bracket left open swallows the newlines after it, so the error shows up far away."""
    if not context.brackets:
        return None
    bracket = context.brackets[-1]
    closer = CLOSERS[bracket.type]
    if closer not in expected:
        return None
    if token_span(source, token).line > token_span(source, bracket).line:
        closing = PUNCTUATION[closer]
        return diagnose("FL101", token_span(source, token),
                        f"add `{closing}` where the {'call or group' if closing == ')' else 'list'} ends",
                        detail=f"expected `{closing}` to close the `{bracket}` opened at "
                               f"{where_token(source, bracket)}, found {shown(token)}")
    return None


def _check_declaration_in_block(source: SourceFile, token: Token, expected: frozenset[str],
        context: LexContext) -> Diagnostic | None:
    """`workflow w {` inside an unclosed block: the block before it lacks its `}`."""
    if not context.blocks or context.brackets:
        return None
    statement = context.statement
    if statement:  # `param x`: a declaration's keyword read as a name, then the name after it
        start = statement[0]
        if len(statement) > 1 or start.type != "NAME" or token.type not in ("NAME", "STRING"):
            return None
    else:  # `workflow` lexed as a keyword where the block expects something else
        start = token
        if not is_keyword_token(start):
            return None
    block = context.blocks[-1]
    if str(start) not in DECLARATIONS or block.kind == "block":
        return None
    if block.kind == "workflow" and str(start) in ("containers", "communication"):
        return None  # a workflow's own settings, `containers = NAME`
    line = token_span(source, start).line
    after = last_code_line(source, token_span(source, block.token).line, line)
    return diagnose("FL110", token_span(source, start),
                    f"add `}}` after line {after} to close {block.what}",
                    detail=f"`{start}` starts a declaration, but {block.what} (opened at "
                           f"{where_token(source, block.token)}) is not closed")


def _check_wrong_arrow(source: SourceFile, token: Token, expected: frozenset[str],
        context: LexContext) -> Diagnostic | None:
    span = token_span(source, token)
    if token.type == "_FATARROW" and "_ARROW" in expected:
        return diagnose("FL107", span,
                        "routes are written `source -> target`; `=>` only follows a predicate in `selective`",
                        Fix(span, "->", "replace `=>` with `->`"), detail="expected `->`, found `=>`")
    if token.type == "_ARROW" and "_FATARROW" in expected:
        return diagnose("FL107", span, "a case of `selective` is written `predicate => target`",
                        Fix(span, "=>", "replace `->` with `=>`"), detail="expected `=>`, found `->`")
    previous = context.previous
    in_cases = bool(context.blocks) and context.blocks[-1].kind == "selective"
    if (in_cases and str(token) == ">" and previous is not None and previous.type == "MINUS"
            and previous.end_pos == token.start_pos):
        # After a predicate the lexer reads `->` as a minus and a `>`.
        span = span_of(source, previous.start_pos, token.end_pos)
        return diagnose("FL107", span, "a case of `selective` is written `predicate => target`",
                        Fix(span, "=>", "replace `->` with `=>`"),
                        detail="expected `=>` after the predicate, found `->`")
    return None


def _check_equal_for_colon(source: SourceFile, token: Token, expected: frozenset[str],
        context: LexContext) -> Diagnostic | None:
    statement = context.statement
    if token.type == "EQUAL" and "COLON" in expected:
        span = token_span(source, token)
        if statement and statement[0].type == "PARAM":
            name = statement[1] if len(statement) > 1 else "name"
            kind = _guess_type(source.text[token.end_pos:].split("\n", 1)[0])
            return diagnose("FL106", span,
                            f"a param is declared with its type: `param {name}: {kind} = ...`",
                            detail=f"expected `:` and a type after `param {name}`, found `=`")
        if context.blocks and context.blocks[-1].kind == "event":
            return diagnose("FL106", span, "an event field is written `name: type`",
                            Fix(span, ":", "replace `=` with `:`"),
                            detail="expected `:` between a field's name and its type, found `=`")
        return diagnose("FL106", span, None, Fix(span, ":", "replace `=` with `:`"),
                        detail="expected `:` here, found `=`")
    if (token.type == "LBRACE" and len(statement) == 3 and statement[0].type == "NAME"
            and statement[1].type == "EQUAL" and statement[2].type == "NAME"):
        equal = token_span(source, statement[1])
        return diagnose("FL106", equal,
                        f"a container is declared `{statement[0]}: {statement[2]} {{ ... }}`; "
                        "`name = value` is a setting", Fix(equal, ":", "replace `=` with `:`"),
                        detail=f"expected `:` after the container name `{statement[0]}`, found `=`")
    return None


def _guess_type(rest: str) -> str:
    value = rest.split("#", 1)[0].strip().lstrip("-").strip()
    if value.startswith('"'):
        return "str"
    if value in ("true", "false"):
        return "bool"
    if re.fullmatch(r"[0-9][0-9_]*", value):
        return "int"
    if re.fullmatch(r"[0-9][0-9_]*(\.[0-9_]+)?([eE][+-]?[0-9]+)?", value):
        return "float"
    return "int"


def _check_misspelt_keyword(source: SourceFile, token: Token, expected: frozenset[str],
        context: LexContext) -> Diagnostic | None:
    span = token_span(source, token)
    keywords = keyword_terminals(expected)
    if token.type == "NAME" and keywords and "NAME" not in expected:
        close = difflib.get_close_matches(str(token), keywords, n=1, cutoff=0.6)
        if close:
            return diagnose("FL105", span, f"did you mean `{close[0]}`?",
                            Fix(span, close[0], f"replace with `{close[0]}`"),
                            detail=f"unknown keyword `{token}`")
    statement = context.statement
    in_workflow = bool(context.blocks) and context.blocks[-1].kind == "workflow"
    if in_workflow and len(statement) == 1 and statement[0].type == "NAME" and token.type != "EQUAL":
        close = difflib.get_close_matches(str(statement[0]), WORKFLOW_STATEMENTS, n=1, cutoff=0.6)
        if close:
            word = token_span(source, statement[0])
            return diagnose("FL105", word, f"did you mean `{close[0]}`?",
                            Fix(word, close[0], f"replace with `{close[0]}`"),
                            detail=f"unknown keyword `{statement[0]}`")
    return None


def _check_else_not_last(source: SourceFile, token: Token, expected: frozenset[str],
        context: LexContext) -> Diagnostic | None:
    if not context.blocks or context.blocks[-1].kind != "selective" or token.type == "RBRACE":
        return None
    statement = context.statement
    kinds = [t.type for t in statement]
    if "ELSE" in kinds and kinds[-1:] == ["COMMA"]:
        start = statement[kinds.index("ELSE")]
        end = next(t for t in statement[kinds.index("ELSE"):] if t.type == "COMMA")
        case = source.text[start.start_pos:end.start_pos].strip()
        return diagnose("FL101", token_span(source, token), f"move `{case}` to the end of the cases",
                        detail="a case follows `else`; `else` must be the last case of `selective`")
    return None


def _check_statement_shape(source: SourceFile, token: Token, expected: frozenset[str],
        context: LexContext) -> Diagnostic | None:
    """Mistakes in the shape of one statement: a setting without `=`, a one-stage pipeline, ..."""
    statement = context.statement
    span = token_span(source, token)
    block = context.blocks[-1].kind if context.blocks else ""
    if block in ("container", "pattern") and len(statement) == 1 and statement[0].type == "NAME" \
            and {"EQUAL", "COLON"} <= expected:
        name = statement[0]
        hint = f"a setting is written `{name} = value`; a child container `{name}: role {{ ... }}`"
        fix = None
        if token.type in EXPRESSION_START | EXPRESSION_EXTRA:
            fix = Fix(span_of(source, token.start_pos, token.start_pos), "= ", f"insert `=` after `{name}`")
        return diagnose("FL101", span, hint, fix,
                        detail=f"expected `=` or `:` after `{name}`, found {shown(token)}")
    if block == "workflow" and len(statement) == 1 and statement[0].type == "NAME" and expected == {"EQUAL"}:
        name = statement[0]
        return diagnose("FL101", span, f"a workflow setting is written `{name} = value`",
                        detail=f"expected `=` after `{name}`, found {shown(token)}")
    if block in ("container", "pattern") and len(statement) == 3 and statement[1].type == "COLON" \
            and "LBRACE" in expected and token.type != "LBRACE":
        name, role = statement[0], statement[2]
        return diagnose("FL101", span,
                        f"a setting is written `{name} = value`; `{name}: {role} {{ ... }}` would declare a child "
                        "container", Fix(token_span(source, statement[1]), " =", "replace `:` with `=`"),
                        detail=f"expected `{{` after `{name}: {role}`, found {shown(token)}")
    if statement[:1] and statement[0].type == "PIPELINE" and "_ARROW" in expected \
            and not any(t.type == "_ARROW" for t in statement):
        return diagnose("FL101", span, "a pipeline has at least two stages: `pipeline a -> b`",
                        detail=f"expected `->` after `{statement[-1]}`, found {shown(token)}")
    return None


# The special cases, most specific first; the first that recognises the mistake wins.
Check = Callable[[SourceFile, Token, frozenset[str], LexContext], "Diagnostic | None"]
CHECKS: tuple[Check, ...] = (
    _check_glued_keyword,
    _check_stray_closer,
    _check_wrong_arrow,
    _check_unclosed_bracket,
    _check_declaration_in_block,
    _check_equal_for_colon,
    _check_misspelt_keyword,
    _check_else_not_last,
    _check_statement_shape,
)
