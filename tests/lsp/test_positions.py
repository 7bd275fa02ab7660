"""Offsets of the compiler <-> protocol positions (UTF-16 by default), line ends and the byte-order mark."""

import pytest

pytest.importorskip("lsprotocol")

from lsprotocol import types as lsp

from flowc.dsl.source import SourceFile
from flowc.tools.lsp.positions import UTF8, UTF16, UTF32, LineIndex

TEXT = "a = 1\n# é 📈 “x”\nb📈c = 2\r\nlast"


@pytest.mark.parametrize("encoding", [UTF8, UTF16, UTF32])
def test_every_offset_round_trips(encoding):
    index = LineIndex(TEXT, encoding)
    for offset in range(len(TEXT) + 1):
        if TEXT[offset - 1:offset + 1] == "\r\n":
            continue  # between `\r` and `\n` is not a position
        assert index.offset(index.position(offset)) == offset


def test_utf16_counts_astral_characters_twice():
    index = LineIndex(TEXT)
    offset = TEXT.index("c = 2")
    assert index.position(offset) == lsp.Position(line=2, character=3)  # b, then 📈 as two units
    assert LineIndex(TEXT, UTF32).position(offset) == lsp.Position(line=2, character=2)
    assert LineIndex(TEXT, UTF8).position(offset) == lsp.Position(line=2, character=5)


def test_the_compiler_span_and_the_protocol_agree_on_lines():
    source = SourceFile("x.flow", TEXT)
    index = LineIndex(TEXT)
    for offset in (0, TEXT.index("b"), TEXT.index("last")):
        line, _column = source.position(offset)
        assert index.position(offset).line == line - 1
    assert index.position(TEXT.index("last")).line == 3  # after `\r\n`


def test_positions_past_a_line_end_clamp_to_it():
    index = LineIndex(TEXT)
    assert index.offset(lsp.Position(line=0, character=99)) == len("a = 1")
    assert index.offset(lsp.Position(line=2, character=99)) == TEXT.index("\r\n")
    assert index.offset(lsp.Position(line=99, character=0)) == len(TEXT)
    assert index.offset(lsp.Position(line=1, character=4)) == TEXT.index("📈")  # inside 📈: before it


def test_a_byte_order_mark_is_not_in_the_compiler_offsets():
    index = LineIndex("\ufeffparam x: int = 1")
    assert index.position(0) == lsp.Position(line=0, character=1)
    assert index.offset(lsp.Position(line=0, character=1)) == 0
