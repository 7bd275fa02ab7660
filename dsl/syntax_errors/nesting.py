"""Which `{`, `(` or `[` is really unbalanced, guessed from the text and its indentation.

The parser only notices a missing `}` at the end of the file, or an extra one where it
stops; the mistake is usually far earlier. Like Rust's compiler, these guesses pair the
braces in the text (strings and comments skipped) and trust the indentation: a `}` indented
like an outer block closes that outer block, so the inner `{` lacks its own.
"""

from __future__ import annotations

import re

from lark import Token

from flowc.dsl.source import SourceFile
from flowc.dsl.syntax_errors.positions import indent_of, is_code, last_code_line, where, where_token

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


def unclosed_by_indentation(source: SourceFile) -> str | None:
    """Rust's trick: a `}` indented less than the line of the `{` it closes belongs to an outer block,
    so that `{` is the one whose `}` is missing; its body ends before the first line indented like it."""
    pairs, _ = _brace_pairs(source, len(source.text))
    for opening, closing in sorted(pairs, key=lambda pair: pair[1]):
        open_line, close_line = source.position(opening)[0], source.position(closing)[0]
        indent = indent_of(source, open_line)
        if close_line != open_line and indent_of(source, close_line) < indent:
            end = next((n for n in range(open_line + 1, close_line + 1)
                        if is_code(source, n) and indent_of(source, n) <= indent), close_line)
            return (f"{_block_name_at(source, opening)} (opened at {where(source, opening)}) looks unclosed: "
                    f"the `}}` at {where(source, closing)} that closes it is indented like an outer block; "
                    f"add `}}` after line {last_code_line(source, open_line, end)}")
    return None


def closed_early_by_indentation(source: SourceFile, upto: int) -> str | None:
    """A `}` indented more than the line of the `{` it closes probably closed a block too early."""
    pairs, _ = _brace_pairs(source, upto)
    for opening, closing in sorted(pairs, key=lambda pair: pair[1]):
        open_line, close_line = source.position(opening)[0], source.position(closing)[0]
        if close_line != open_line and indent_of(source, close_line) > indent_of(source, open_line):
            return (f"the `}}` at {where(source, closing)} may be the extra one: it closes "
                    f"{_block_name_at(source, opening)} (opened at {where(source, opening)}), "
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


_BRACKETS = re.compile(r'"(?:[^"\\\n]|\\["\\])*"|#[^\n]*|[()\[\]]')


def closed_too_early(source: SourceFile, closer: Token) -> str | None:
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
                return (f"the `{closer}` at {where_token(source, closer)} closes {what} from {where(source, opening)}; "
                        "is it one too many, before the comma?")
    return None
