"""Characters the lexer cannot take: a quote, operator or space from another language or keyboard.

The lexer fails before the parser sees a token, so these errors know nothing of the
statement; they name the character (by its Unicode name when it is invisible) and say what
to write instead. A `"` that fails is a string never closed or an unknown escape in it.
"""

from __future__ import annotations

import unicodedata

from flowc.dsl.diagnostics import Diagnostic, diagnose
from flowc.dsl.source import SourceFile

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


def bad_character(source: SourceFile, offset: int) -> Diagnostic:
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
