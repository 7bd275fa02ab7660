"""Positions: the compiler's character offsets and the protocol's (line, UTF-16 unit) pairs.

The compiler's spans count characters (Python code points) from the start of the
text, with the byte-order mark removed; the protocol counts lines from 0 and, by
default, UTF-16 code units within a line (a character outside the Basic
Multilingual Plane, such as an emoji, is two units). A client may negotiate UTF-8
or UTF-32 instead. Lines end at `\\n`, `\\r\\n` or `\\r`, as the protocol says.
"""

from __future__ import annotations

import bisect
import re

from lsprotocol import types as lsp

from flowc.dsl.source import Span

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"
_LINE_END = re.compile(r"\r\n|\r|\n")
BOM = "\ufeff"


def _units(text: str, encoding: str) -> int:
    if encoding == UTF32 or text.isascii():
        return len(text)
    if encoding == UTF16:
        return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)
    return len(text.encode("utf-8"))


class LineIndex:
    """Converts between offsets into the compiler's text and protocol positions in the client's text.

    `text` is the document as the client has it; when it starts with a byte-order
    mark the compiler's offsets are one less than the client's.
    """

    def __init__(self, text: str, encoding: str = UTF16):
        self.text = text
        self.encoding = encoding
        self.shift = 1 if text.startswith(BOM) else 0
        self.starts = [0] + [m.end() for m in _LINE_END.finditer(text)]

    # ---- offsets of the compiler -> protocol ----

    def position(self, offset: int) -> lsp.Position:
        """The protocol position of a character offset into the compiler's text (BOM removed)."""
        offset = max(0, min(offset + self.shift, len(self.text)))
        line = bisect.bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        return lsp.Position(line=line, character=_units(self.text[start:offset], self.encoding))

    def range(self, start: int, end: int) -> lsp.Range:
        return lsp.Range(start=self.position(start), end=self.position(max(start, end)))

    def span_range(self, span: Span) -> lsp.Range:
        return self.range(span.start, span.end)

    # ---- protocol -> offsets of the compiler ----

    def offset(self, position: lsp.Position) -> int:
        """The character offset (BOM removed) of a protocol position; past the end of a line means its end."""
        if position.line >= len(self.starts):
            return len(self.text) - self.shift
        start = self.starts[position.line]
        end = self.starts[position.line + 1] if position.line + 1 < len(self.starts) else len(self.text)
        line = self.text[start:end].rstrip("\r\n")
        if self.encoding == UTF32 or line.isascii():
            column = min(position.character, len(line))
        else:
            column, units = 0, 0
            for ch in line:
                step = _units(ch, self.encoding)
                if units + step > position.character:
                    break
                units += step
                column += 1
        return max(0, start + column - self.shift)

    @property
    def end(self) -> lsp.Position:
        return self.position(len(self.text) - self.shift)
