"""The parse of an editor buffer: the one parser run over each top-level declaration, cached by text.

An editor buffer is broken most of the time it is being typed, and a file that
does not parse gives the parser nothing to return. So the text is cut where a
line starts with a declaration keyword at column 0 (`param`, `containers`, ...),
each piece is parsed on its own with `flowc.dsl.parser.parse`, and the pieces
that parse are put back together with their spans moved to where the piece sits
in the file. A syntax error then costs only the declaration it is in, every
broken declaration gets its own diagnostic, and a keystroke re-parses only the
declaration it changed: pieces are cached by their text, so a 1,000-line file
costs one small parse per edit instead of a whole one.

When every piece parses, the result equals `parse(text)`, spans included (see
tests/lsp/test_chunks.py). A line that starts at column 0 with a keyword inside
a block would cut a declaration in two; the formatter never writes one.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, fields, is_dataclass, replace

from flowc.dsl import ast
from flowc.dsl.diagnostics import Diagnostic, Fix, FlowError
from flowc.dsl.parser import parse
from flowc.dsl.source import SourceFile, Span
from flowc.dsl.syntax_errors import DECLARATIONS

_START = re.compile(rf"^(?:{'|'.join(DECLARATIONS)})(?![A-Za-z0-9_])", re.MULTILINE)
_CACHE_SIZE = 4096


@dataclass(frozen=True)
class Piece:
    """One top-level stretch of the text: its bounds and what parsing it gave."""

    start: int
    end: int
    declarations: tuple[ast.Decl, ...] = ()
    comments: tuple[ast.Comment, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()  # syntax errors; empty when it parsed

    @property
    def ok(self) -> bool:
        return not self.diagnostics


@dataclass(frozen=True)
class Parsed:
    """A buffer's module (what parsed) and the syntax errors of the pieces that did not."""

    module: ast.Module
    pieces: tuple[Piece, ...]

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for p in self.pieces for d in p.diagnostics]

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.pieces)

    def piece_at(self, offset: int) -> Piece:
        for piece in self.pieces:
            if piece.start <= offset < piece.end:
                return piece
        return self.pieces[-1]


_cache: OrderedDict[tuple[str, str], tuple[tuple, tuple, tuple]] = OrderedDict()


def bounds(text: str) -> list[tuple[int, int]]:
    """Where each top-level piece starts and ends."""
    starts = [0] + [m.start() for m in _START.finditer(text) if m.start() > 0]
    return list(zip(starts, [*starts[1:], len(text)], strict=True))


def parse_buffer(text: str, path: str) -> Parsed:
    """Parse `text` (byte-order mark already removed) piece by piece."""
    source = SourceFile(path, text)
    pieces = tuple(_piece(text, path, start, end, source) for start, end in bounds(text))
    module = ast.Module(path, tuple(d for p in pieces for d in p.declarations),
                        tuple(c for p in pieces for c in p.comments), span=source.span(0, len(text)))
    return Parsed(module, pieces)


def _piece(text: str, path: str, start: int, end: int, source: SourceFile) -> Piece:
    chunk = text[start:end]
    key = (path, chunk)
    found = _cache.get(key)
    if found is None:
        try:
            module = parse(chunk, path)
            found = (module.declarations, module.comments, ())
        except FlowError as exc:
            found = ((), (), exc.diagnostics)
        except RecursionError:  # the parser turns deep nesting into FL109; this is a last guard
            found = ((), (), ())
        _cache[key] = found
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    else:
        _cache.move_to_end(key)
    line = source.position(start)[0] - 1
    placed = _placed.get(key)
    if placed is not None and placed.start == start and placed.end == end and placed.line == line:
        return placed.piece  # the piece did not move since the last parse of this buffer
    declarations, comments, diagnostics = found
    piece = Piece(start, end, declarations, comments, diagnostics) if start == 0 else Piece(
        start, end, shift(declarations, start, line), shift(comments, start, line),
        tuple(_shift_diagnostic(d, start, line) for d in diagnostics))
    _placed[key] = _Placed(start, end, line, piece)
    if len(_placed) > _CACHE_SIZE:
        _placed.pop(next(iter(_placed)))
    return piece


@dataclass(frozen=True)
class _Placed:
    start: int
    end: int
    line: int
    piece: Piece


_placed: dict[tuple[str, str], _Placed] = {}  # the last place each piece was put, to skip moving it again


def shift(value, offset: int, lines: int):
    """A copy of an AST value whose spans are moved by `offset` characters and `lines` lines.

    Pieces start at a line start, so columns stay as they are.
    """
    if isinstance(value, Span):
        return Span(value.path, value.line + lines, value.column, value.end_line + lines, value.end_column,
                    value.start + offset, value.end + offset)
    if isinstance(value, tuple):
        return tuple(shift(item, offset, lines) for item in value)
    if isinstance(value, ast.Node):
        copy = object.__new__(type(value))
        for name in _node_fields(type(value)):
            item = getattr(value, name)
            if isinstance(item, Span | tuple | ast.Node):
                item = shift(item, offset, lines)
            object.__setattr__(copy, name, item)
        return copy
    return value


_FIELDS: dict[type, tuple[str, ...]] = {}


def _node_fields(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        assert is_dataclass(cls)
        names = _FIELDS[cls] = tuple(f.name for f in fields(cls))
    return names


def _shift_diagnostic(d: Diagnostic, offset: int, lines: int) -> Diagnostic:
    span = shift(d.span, offset, lines) if d.span is not None else None
    fix = Fix(shift(d.fix.span, offset, lines), d.fix.replacement, d.fix.title) if d.fix else None
    return replace(d, span=span, fix=fix)
