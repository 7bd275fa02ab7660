"""Go to definition and find references, over the snapshot's index and the other open documents.

A definition of an import is the imported file itself. References are searched
in the document's files (its own and what it imports) and in every other open
document whose snapshot loads the same file, so a param declared in an imported
file finds its uses in each file that imports it.
"""

from __future__ import annotations

from collections.abc import Iterable

from lsprotocol import types as lsp

from flowc.tools.lsp.index import Occurrence, Symbol
from flowc.tools.lsp.paths import uri_of
from flowc.tools.lsp.positions import LineIndex


def definition(snapshot, occurrence: Occurrence) -> list[lsp.Location]:
    symbol = occurrence.symbol
    if symbol.kind == "file":
        uri = uri_of(symbol.name)
        if uri is None or symbol.name not in snapshot.sources.sources:
            return []
        return [lsp.Location(uri, lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)))]
    return locations([snapshot], snapshot.index.definitions(symbol))


def references(snapshots: Iterable, symbol: Symbol, include_declaration: bool) -> list[lsp.Location]:
    """Every place `symbol` is written, in the given snapshots (the first one is the asking document's)."""
    snapshots = list(snapshots)
    found: dict[tuple[str, int, int], tuple] = {}
    for snapshot in snapshots:
        for o in snapshot.index.references(symbol):
            if include_declaration or not o.definition:
                found.setdefault((o.path, o.start, o.end), (snapshot, o))
    ordered = sorted(found.values(), key=lambda item: (item[1].path != snapshots[0].key, item[1].path,
                                                       item[1].start))
    out = []
    for snapshot, o in ordered:
        out.extend(locations([snapshot], [o]))
    return out


def locations(snapshots: list, occurrences: Iterable[Occurrence]) -> list[lsp.Location]:
    snapshot = snapshots[0]
    out = []
    for o in occurrences:
        if o.path == snapshot.key:
            out.append(lsp.Location(snapshot.uri, snapshot.lines.range(o.start, o.end)))
            continue
        uri, source = uri_of(o.path), snapshot.sources.sources.get(o.path)
        if uri is not None and source is not None:
            out.append(lsp.Location(uri, LineIndex(source.text, snapshot.lines.encoding).range(o.start, o.end)))
    return out
