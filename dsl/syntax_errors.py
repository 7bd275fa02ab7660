"""Syntax errors in words: lark's exceptions become one diagnostic that says what was expected.

A user should never have to know the grammar to read a syntax error. So the
expected tokens are named as a user names them (`an expression`, `a
declaration`, `)`), never as lark terminals (`RPAR`, `_NL`), and the common
mistakes get their own message, code and often a fix: a misspelt keyword, `=`
for `:`, `=>` for `->`, a block or bracket never closed (with a guess, from
the indentation, at which block really lacks its `}`), a stray `}` or `)`.

Two inputs make this possible. `exc.interactive_parser.accepts()` is the exact
set of tokens the LALR parser could take where it stopped (lark's
`expected` is sometimes the contextual lexer's set instead). `LexContext` is
what the post-lexer in `parser.py` knew just before the failing token: the
open blocks and brackets, and the tokens of the statement so far.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import lark
from lark import Token

from flowc.dsl.diagnostics import Diagnostic, Fix, diagnose
from flowc.dsl.source import SourceFile, Span

# The spec's keywords, plus `walk_forward`. A keyword is a keyword only where the grammar expects it.
KEYWORDS = frozenset({
    "import", "param", "event", "role", "consumes", "produces", "containers", "communication", "workflow",
    "pipeline", "broadcast", "route", "selective", "hierarchical", "feedback", "sweep", "in", "when", "else",
    "and", "or", "not", "true", "false", "walk_forward",
})
DECLARATIONS = ("import", "param", "event", "role", "containers", "communication", "workflow")
ADAPTERS = ("pipeline", "broadcast", "route", "selective", "hierarchical", "feedback")
WORKFLOW_STATEMENTS = ("sweep", "walk_forward")

_PUNCTUATION = {  # in the order a message lists them: what continues a statement first, closers last
    "_ARROW": "->", "_FATARROW": "=>", "EQUAL": "=", "COLON": ":", "COMMA": ",", "DOT": ".", "PLUS": "+",
    "MINUS": "-", "LPAR": "(", "LSQB": "[", "LBRACE": "{", "RPAR": ")", "RSQB": "]", "RBRACE": "}",
}
_CLASSES = {
    "NAME": "a name", "NUMBER": "a number", "STRING": "a string", "COMPARE": "a comparison",
    "MUL": "`*` or `/`", "_NL": "the end of the line", "$END": "the end of the file",
}
_EXPRESSION_START = frozenset({"NAME", "NUMBER", "STRING", "LPAR", "LSQB", "MINUS"})
_EXPRESSION_EXTRA = frozenset({"TRUE", "FALSE", "NOT"})
_OPERATORS = frozenset({"PLUS", "MINUS", "MUL", "COMPARE", "AND", "OR"})
_CLOSERS = {"LPAR": "RPAR", "LSQB": "RSQB"}
_WORD_CHAR = re.compile(r"\w")


# ---- what the post-lexer knows -------------------------------------------------------------------


@dataclass(frozen=True)
class OpenBlock:
    """A `{` not yet closed, and the construct it opened (for 'expected `}` to close ...')."""

    token: Token
    kind: str  # "pattern", "container", "communication", "workflow", "event", "role", "selective", "block"
    what: str  # in words: "the container `data`"


@dataclass(frozen=True)
class LexContext:
    """The post-lexer's state just before the token the parser could not take."""

    blocks: tuple[OpenBlock, ...] = ()
    brackets: tuple[Token, ...] = ()  # open `(` and `[`
    statement: tuple[Token, ...] = ()  # the tokens of the current statement so far
    previous: Token | None = None  # the token before the failing one


_DECLARATION_BLOCKS = {
    "CONTAINERS": ("pattern", "the container pattern"),
    "COMMUNICATION": ("communication", "the communication pattern"),
    "WORKFLOW": ("workflow", "the workflow"),
    "EVENT": ("event", "the event"),
    "ROLE": ("role", "the role"),
}


def open_block(brace: Token, statement: Sequence[Token]) -> OpenBlock:
    """Name the construct a `{` opens from the tokens of the statement before it."""
    kinds = [t.type for t in statement]
    if kinds[:2] == ["NAME", "COLON"] and len(kinds) >= 3:
        return OpenBlock(brace, "container", f"the container `{statement[0]}`")
    if kinds and kinds[0] in _DECLARATION_BLOCKS and len(kinds) > 1:
        kind, words = _DECLARATION_BLOCKS[kinds[0]]
        return OpenBlock(brace, kind, f"{words} `{statement[1]}`")
    if kinds[:1] == ["SELECTIVE"]:
        return OpenBlock(brace, "selective", "the cases of `selective`")
    return OpenBlock(brace, "block", "the block")


def is_keyword_token(token: Token) -> bool:
    """A token lexed as a keyword (not a name that happens to be spelt like one)."""
    return token.type not in ("NAME", "STRING") and str(token) in KEYWORDS


# ---- entry points --------------------------------------------------------------------------------


def describe_syntax_error(source: SourceFile, exc: lark.exceptions.UnexpectedInput,
                          context: LexContext) -> Diagnostic:
    """Turn one lark exception into the diagnostic a user should read."""
    if isinstance(exc, lark.exceptions.UnexpectedCharacters):
        return _bad_character(source, exc.pos_in_stream)
    token = getattr(exc, "token", None)
    expected = _expected(exc)
    if isinstance(exc, lark.exceptions.UnexpectedEOF) or token is None or token.type == "$END":
        return _end_of_file(source, expected, context, source.end_span)
    if token.type == "_NL" and _ONLY_BLANKS.fullmatch(source.text, token.end_pos or 0):
        return _end_of_file(source, expected, context, _token_span(source, token))  # the last line
    return _unexpected_token(source, token, expected, context)


_ONLY_BLANKS = re.compile(r"(?:\s|#[^\n]*)*")


def glued_keyword(source: SourceFile, keyword: Token, rest: Token) -> Diagnostic:
    """A keyword written together with the word after it (`paramfast`): the lexer split one word in two."""
    word_end = rest.end_pos if rest.end_pos is not None else rest.start_pos + len(rest)
    match = re.compile(r"\w*").match(source.text, word_end)
    end = match.end() if match else word_end
    span = _span(source, keyword.start_pos, end)
    word = source.text[keyword.start_pos:end]
    remainder = source.text[keyword.end_pos:end]
    return diagnose("FL105", span, f"did you mean `{keyword} {remainder}`? a keyword is a word of its own",
                    Fix(_span(source, keyword.end_pos, keyword.end_pos), " ", f"add a space after `{keyword}`"),
                    detail=f"unknown keyword `{word}`")


# ---- naming what was expected --------------------------------------------------------------------


def _expected(exc: lark.exceptions.UnexpectedInput) -> frozenset[str]:
    """The terminals the parser could have taken: exact when lark's interactive parser is at hand."""
    interactive = getattr(exc, "interactive_parser", None)
    if interactive is not None:
        return frozenset(interactive.accepts())
    return frozenset(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ())


def _keyword_terminals(expected: Iterable[str]) -> list[str]:
    return sorted(t.lower() for t in expected if t.lower() in KEYWORDS)


def _quoted(words: Iterable[str]) -> str:
    return ", ".join(f"`{w}`" for w in words)


def _join(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def _expected_phrase(expected: frozenset[str], context: LexContext) -> str:
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
    if rest >= _EXPRESSION_START:
        rest -= _EXPRESSION_START | _EXPRESSION_EXTRA
        words.append("an expression")
    if rest >= _OPERATORS:
        rest -= _OPERATORS
        words.append("an operator")
    if "DOT" in rest and len(rest) > 1:
        rest.discard("DOT")  # `a.b` is rarely what was meant where something else also fits
    words += [_CLASSES[t] for t in ("NAME", "NUMBER", "STRING") if t in rest]
    words += [f"`{k}`" for k in _keyword_terminals(rest)]
    words += [f"`{_PUNCTUATION[t]}`" for t in _PUNCTUATION if t in rest]
    words += [_CLASSES[t] for t in ("COMPARE", "MUL") if t in rest]
    at_line_start = context.previous is None or context.previous.type in ("_NL", "LBRACE")
    if "_NL" in rest and not at_line_start:  # blank lines before a statement are always fine
        words.append("the end of the line")
    if "$END" in rest and "the end of the line" not in words:
        words.append("the end of the file")
    return _join(words) if words else "something else"


def _shown(token: Token) -> str:
    if token.type == "_NL":
        return "`;`" if str(token) == ";" else "the end of the line"
    if token.type == "$END":
        return "the end of the file"
    return f"`{token}`"


# ---- spans and positions -------------------------------------------------------------------------


def _span(source: SourceFile, start: int | None, end: int | None) -> Span:
    start = start or 0
    return source.span(start, max(start, end if end is not None else start))


def _token_span(source: SourceFile, token: Token) -> Span:
    start = token.start_pos or 0
    end = token.end_pos if token.end_pos is not None else start + len(token)
    if token.type == "_NL":  # point at where the line ends, not at the (invisible) newline
        end = start
    return source.span(start, end)


def _at(source: SourceFile, token: Token) -> str:
    span = _token_span(source, token)
    return f"{span.line}:{span.column}"


def _indent(source: SourceFile, line: int) -> int:
    text = source.line_text(line)
    return len(text) - len(text.lstrip(" \t"))


# ---- unexpected characters -----------------------------------------------------------------------


_CHARACTER_HINTS = {
    "'": 'strings are written in double quotes: `"text"`',
    "\u201c": 'use a straight double quote `"` (this is a typographic quote)',
    "\u201d": 'use a straight double quote `"` (this is a typographic quote)',
    "\u2018": 'use a straight double quote `"` (this is a typographic quote)',
    "\u2019": 'use a straight double quote `"` (this is a typographic quote)',
    "&": "write `and`",
    "|": "write `or`",
    "!": "write `not` to negate, `!=` to compare",
    "%": "there is no `%` operator",
    "\u2212": "use the ASCII minus sign `-`",
    "\u00a0": "replace it with an ordinary space",
    "\ufeff": "delete it: a byte-order mark is allowed only at the very start of a file",
}


def _describe_char(char: str) -> str:
    if char.isprintable() and not char.isspace():
        return f"`{char}`"
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name.lower()})" if name else "")


def _bad_character(source: SourceFile, offset: int) -> Diagnostic:
    char = source.text[offset] if offset < len(source.text) else ""
    if char == '"':
        return _bad_string(source, offset)
    hint = _CHARACTER_HINTS.get(char)
    if hint is None and char.isalpha():
        hint = "a name is made of ASCII letters, digits and `_`"
    if hint is None:
        hint = "this character can only appear inside a string or a comment"
    return diagnose("FL103", source.span(offset, offset + 1), hint,
                    detail=f"unexpected character {_describe_char(char)}")


def _bad_string(source: SourceFile, offset: int) -> Diagnostic:
    """A `"` the lexer could not take: either the string never ends or it holds an unknown escape."""
    i = offset + 1
    text = source.text
    while i < len(text) and text[i] not in '"\n':
        if text[i] == "\\":
            if i + 1 < len(text) and text[i + 1] in '"\\':
                i += 2
                continue
            escape = text[i:i + 2].rstrip("\r\n")
            return diagnose("FL101", source.span(i, i + len(escape)),
                            'a string knows only `\\"` (a quote) and `\\\\` (a backslash); in a path write `/`',
                            detail=f"unknown escape `{escape}` in a string")
        i += 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end < 0 else line_end
    end = line_end - 1 if line_end > offset and text[line_end - 1] == "\r" else line_end
    return diagnose("FL108", source.span(offset, max(end, offset + 1)),
                    'close it with `"`; a string cannot span lines')


# ---- the end of the file -------------------------------------------------------------------------


def _end_of_file(source: SourceFile, expected: frozenset[str], context: LexContext, span: Span) -> Diagnostic:
    """The file ends too early: inside a bracket, inside a statement, or with blocks still open."""
    if context.brackets:
        bracket = context.brackets[-1]
        closer = ")" if bracket.type == "LPAR" else "]"
        return diagnose("FL102", span,
                        f"add `{closer}` where the {'call or group' if closer == ')' else 'list'} ends",
                        detail=f"the file ends before the `{bracket}` opened at {_at(source, bracket)} is closed")
    statement_complete = bool({"_NL", "RBRACE"} & expected)
    if context.blocks and statement_complete:
        span = source.end_span
        block = context.blocks[-1]
        message = (f"expected `}}` to close {block.what} (opened at {_at(source, block.token)}), "
                   "found the end of the file")
        hint = _unclosed_by_indentation(source) or _close_all_hint(source, context.blocks)
        return diagnose("FL110", span, hint, detail=message)
    phrase = _expected_phrase(expected, context) if expected else "more"
    after = f" after {_shown(context.previous)}" if context.previous is not None else ""
    return diagnose("FL102", span, detail=f"the file ends too early: expected {phrase}{after}")


def _close_all_hint(source: SourceFile, blocks: Sequence[OpenBlock]) -> str:
    if len(blocks) == 1:
        return "add `}` at the end of the file"
    opened = ", ".join(f"{b.what} ({_at(source, b.token)})" for b in reversed(blocks))
    return f"{len(blocks)} blocks are still open: {opened}; add a `}}` for each"


_BRACES = re.compile(r'"(?:[^"\\\n]|\\["\\])*"|#[^\n]*|[{}]')


def _brace_pairs(source: SourceFile, upto: int) -> tuple[list[tuple[int, int]], list[int]]:
    """The matched `{`/`}` offsets before `upto` (strings and comments skipped), and the unmatched `{`."""
    pairs: list[tuple[int, int]] = []
    stack: list[int] = []
    for match in _BRACES.finditer(source.text, 0, upto):
        if match.group() == "{":
            stack.append(match.start())
        elif match.group() == "}" and stack:
            pairs.append((stack.pop(), match.start()))
    return pairs, stack


def _unclosed_by_indentation(source: SourceFile) -> str | None:
    """Rust's trick: a `}` indented less than the line of the `{` it closes belongs to an outer block,
    so that `{` is the one whose `}` is missing; its body ends before the first line indented like it."""
    pairs, _ = _brace_pairs(source, len(source.text))
    for opening, closing in sorted(pairs, key=lambda pair: pair[1]):
        open_line, close_line = source.position(opening)[0], source.position(closing)[0]
        indent = _indent(source, open_line)
        if close_line != open_line and _indent(source, close_line) < indent:
            end = next((n for n in range(open_line + 1, close_line + 1)
                        if _is_code(source, n) and _indent(source, n) <= indent), close_line)
            return (f"{_block_name_at(source, opening)} (opened at {_where(source, opening)}) looks unclosed: "
                    f"the `}}` at {_where(source, closing)} that closes it is indented like an outer block; "
                    f"add `}}` after line {_last_code_line(source, open_line, end)}")
    return None


def _closed_early_by_indentation(source: SourceFile, upto: int) -> str | None:
    """A `}` indented more than the line of the `{` it closes probably closed a block too early."""
    pairs, _ = _brace_pairs(source, upto)
    for opening, closing in sorted(pairs, key=lambda pair: pair[1]):
        open_line, close_line = source.position(opening)[0], source.position(closing)[0]
        if close_line != open_line and _indent(source, close_line) > _indent(source, open_line):
            return (f"the `}}` at {_where(source, closing)} may be the extra one: it closes "
                    f"{_block_name_at(source, opening)} (opened at {_where(source, opening)}), "
                    "but is indented like an inner block")
    return None


_BLOCK_HEADS = (
    (re.compile(r"(\w+)\s*:\s*\w+\s*$"), "the container `{0}`"),
    (re.compile(r"containers\s+(\w+)\s*$"), "the container pattern `{0}`"),
    (re.compile(r"communication\s+(\w+)\s*$"), "the communication pattern `{0}`"),
    (re.compile(r'workflow\s+(\w+)\s*(?:"[^"\n]*")?\s*$'), "the workflow `{0}`"),
    (re.compile(r"event\s+(\w+)\s*$"), "the event `{0}`"),
    (re.compile(r"role\s+(\w+)\s*$"), "the role `{0}`"),
    (re.compile(r"selective\b.*$"), "the cases of `selective`"),
)


def _block_name_at(source: SourceFile, brace: int) -> str:
    """The block a `{` opens, named from the text before it on its line."""
    line_start = source.text.rfind("\n", 0, brace) + 1
    head = source.text[line_start:brace].strip()
    for pattern, words in _BLOCK_HEADS:
        match = pattern.search(head)
        if match:
            return words.format(*match.groups())
    return "the block"


def _last_code_line(source: SourceFile, first: int, before: int) -> int:
    """The last line before `before` (and not before `first`) that holds more than blanks and comments."""
    return next((n for n in range(before - 1, first, -1) if _is_code(source, n)), first)


def _is_code(source: SourceFile, line: int) -> bool:
    text = source.line_text(line).strip()
    return bool(text) and not text.startswith("#")


def _where(source: SourceFile, offset: int) -> str:
    line, column = source.position(offset)
    return f"{line}:{column}"


# ---- an unexpected token -------------------------------------------------------------------------


def _unexpected_token(source: SourceFile, token: Token, expected: frozenset[str],
                      context: LexContext) -> Diagnostic:
    for check in _CHECKS:
        diagnostic = check(source, token, expected, context)
        if diagnostic is not None:
            return diagnostic
    return _generic(source, token, expected, context)


def _generic(source: SourceFile, token: Token, expected: frozenset[str], context: LexContext) -> Diagnostic:
    phrase = _expected_phrase(expected, context)
    after = ""
    previous = context.previous
    if phrase == "an expression" and previous is not None and previous.type != "_NL":
        after = f" after {_shown(previous)}"
    starts_statement = is_keyword_token(token) and str(token) in (*DECLARATIONS, *ADAPTERS, *WORKFLOW_STATEMENTS)
    hint = None
    if str(token) in ADAPTERS and starts_statement and not context.blocks:
        hint = "adapter statements belong inside a `communication name { ... }` block"
    elif starts_statement and "_NL" in expected:
        hint = "write one statement per line, or separate statements with `;`"
    elif context.brackets and _is_group(source, context.brackets[-1]) and token.type == "COMMA":
        hint = ("`( )` groups one expression; a call has its name before `(`, as in `sample(...)`, "
                "and a list is written `[a, b]`")
    elif context.brackets and _CLOSERS[context.brackets[-1].type] in expected:
        bracket = context.brackets[-1]
        hint = f"the `{bracket}` at {_at(source, bracket)} is still open"
    elif previous is not None and previous.type in ("RPAR", "RSQB") and token.type == "COMMA":
        hint = _closed_too_early(source, previous)
    if hint is None and context.statement and context.statement[0].type in _FORMS:
        hint = f"the form is {_FORMS[context.statement[0].type]}"
    return diagnose("FL101", _token_span(source, token), hint,
                    detail=f"expected {phrase}{after}, found {_shown(token)}")


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


_BRACKETS = re.compile(r'"(?:[^"\\\n]|\\["\\])*"|#[^\n]*|[()\[\]]')


def _closed_too_early(source: SourceFile, closer: Token) -> str | None:
    """`stdev(returns(close)), 20)`: name the bracket the `)` before the comma closed."""
    stack: list[int] = []
    for match in _BRACKETS.finditer(source.text, 0, closer.start_pos + 1):
        if match.group() in "([":
            stack.append(match.start())
        elif match.group() in ")]" and stack:
            opening = stack.pop()
            if match.start() == closer.start_pos:
                callee = re.search(r"(\w+)\s*$", source.text[:opening])
                what = f"`{callee.group(1)}{source.text[opening]}`" if callee and source.text[opening] == "(" \
                    else f"the `{source.text[opening]}`"
                return (f"the `{closer}` at {_at(source, closer)} closes {what} from {_where(source, opening)}; "
                        "is it one too many, before the comma?")
    return None


def _check_glued_keyword(source: SourceFile, token: Token, expected: frozenset[str],
        context: LexContext) -> Diagnostic | None:
    previous = context.previous
    if (previous is not None and is_keyword_token(previous) and token.start_pos == previous.end_pos
            and _WORD_CHAR.match(str(token)[:1])):
        return glued_keyword(source, previous, token)
    return None


def _check_stray_closer(source: SourceFile, token: Token, expected: frozenset[str],
        context: LexContext) -> Diagnostic | None:
    span = _token_span(source, token)
    if token.type == "RBRACE" and not context.blocks and not context.brackets:
        hint = _closed_early_by_indentation(source, token.start_pos) or "delete it, or add the `{` it should close"
        return diagnose("FL101", span, hint, detail="unexpected `}`: every block is already closed")
    if token.type in ("RPAR", "RSQB"):
        opener = "(" if token.type == "RPAR" else "["
        if not context.brackets:
            return diagnose("FL101", span, f"delete it, or add the `{opener}` it should close",
                            detail=f"unexpected `{token}`: there is no open `{opener}` to close")
        bracket = context.brackets[-1]
        if _CLOSERS[bracket.type] != token.type:
            closer = _PUNCTUATION[_CLOSERS[bracket.type]]
            return diagnose("FL101", span, f"replace `{token}` with `{closer}`",
                            Fix(span, closer, f"replace `{token}` with `{closer}`"),
                            detail=f"expected `{closer}` to close the `{bracket}` opened at {_at(source, bracket)}, "
                                   f"found `{token}`")
    return None


def _check_unclosed_bracket(source: SourceFile, token: Token, expected: frozenset[str],
        context: LexContext) -> Diagnostic | None:
    """A bracket left open swallows the newlines after it, so the error shows up far away."""
    if not context.brackets:
        return None
    bracket = context.brackets[-1]
    closer = _CLOSERS[bracket.type]
    if closer not in expected:
        return None
    if _token_span(source, token).line > _token_span(source, bracket).line:
        shown = _PUNCTUATION[closer]
        return diagnose("FL101", _token_span(source, token),
                        f"add `{shown}` where the {'call or group' if shown == ')' else 'list'} ends",
                        detail=f"expected `{shown}` to close the `{bracket}` opened at {_at(source, bracket)}, "
                               f"found {_shown(token)}")
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
    line = _token_span(source, start).line
    after = _last_code_line(source, _token_span(source, block.token).line, line)
    return diagnose("FL110", _token_span(source, start),
                    f"add `}}` after line {after} to close {block.what}",
                    detail=f"`{start}` starts a declaration, but {block.what} (opened at "
                           f"{_at(source, block.token)}) is not closed")


def _check_wrong_arrow(source: SourceFile, token: Token, expected: frozenset[str],
        context: LexContext) -> Diagnostic | None:
    span = _token_span(source, token)
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
        span = _span(source, previous.start_pos, token.end_pos)
        return diagnose("FL107", span, "a case of `selective` is written `predicate => target`",
                        Fix(span, "=>", "replace `->` with `=>`"),
                        detail="expected `=>` after the predicate, found `->`")
    return None


def _check_equal_for_colon(source: SourceFile, token: Token, expected: frozenset[str],
        context: LexContext) -> Diagnostic | None:
    statement = context.statement
    if token.type == "EQUAL" and "COLON" in expected:
        span = _token_span(source, token)
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
        equal = _token_span(source, statement[1])
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
    span = _token_span(source, token)
    keywords = _keyword_terminals(expected)
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
            word = _token_span(source, statement[0])
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
        return diagnose("FL101", _token_span(source, token), f"move `{case}` to the end of the cases",
                        detail="a case follows `else`; `else` must be the last case of `selective`")
    return None


def _check_statement_shape(source: SourceFile, token: Token, expected: frozenset[str],
        context: LexContext) -> Diagnostic | None:
    """Mistakes in the shape of one statement: a setting without `=`, a one-stage pipeline, ..."""
    statement = context.statement
    span = _token_span(source, token)
    block = context.blocks[-1].kind if context.blocks else ""
    if block in ("container", "pattern") and len(statement) == 1 and statement[0].type == "NAME" \
            and {"EQUAL", "COLON"} <= expected:
        name = statement[0]
        hint = f"a setting is written `{name} = value`; a child container `{name}: role {{ ... }}`"
        fix = None
        if token.type in _EXPRESSION_START | _EXPRESSION_EXTRA:
            fix = Fix(_span(source, token.start_pos, token.start_pos), "= ", f"insert `=` after `{name}`")
        return diagnose("FL101", span, hint, fix,
                        detail=f"expected `=` or `:` after `{name}`, found {_shown(token)}")
    if block == "workflow" and len(statement) == 1 and statement[0].type == "NAME" and expected == {"EQUAL"}:
        name = statement[0]
        return diagnose("FL101", span, f"a workflow setting is written `{name} = value`",
                        detail=f"expected `=` after `{name}`, found {_shown(token)}")
    if block in ("container", "pattern") and len(statement) == 3 and statement[1].type == "COLON" \
            and "LBRACE" in expected and token.type != "LBRACE":
        name, role = statement[0], statement[2]
        return diagnose("FL101", span,
                        f"a setting is written `{name} = value`; `{name}: {role} {{ ... }}` would declare a child "
                        "container", Fix(_token_span(source, statement[1]), " =", "replace `:` with `=`"),
                        detail=f"expected `{{` after `{name}: {role}`, found {_shown(token)}")
    if statement[:1] and statement[0].type == "PIPELINE" and "_ARROW" in expected \
            and not any(t.type == "_ARROW" for t in statement):
        return diagnose("FL101", span, "a pipeline has at least two stages: `pipeline a -> b`",
                        detail=f"expected `->` after `{statement[-1]}`, found {_shown(token)}")
    return None


# The special cases, most specific first; the first that recognises the mistake wins.
Check = Callable[[SourceFile, Token, frozenset[str], LexContext], "Diagnostic | None"]
_CHECKS: tuple[Check, ...] = (
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
