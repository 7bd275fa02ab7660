"""One version of one document, as the compiler sees it: parsed, with its imports loaded and analysed.

A snapshot is built from the buffer's text (never from the file on disk, which
may be older), and everything on it is computed once, when first asked for: the
scope, each container pattern's hierarchy and each workflow's graph (the two
factories, without binding: what hover and navigation need), the diagnostics of
`flowc lint` (its own full analysis), the index of names. An import of another
open document reads its buffer, saved or not; any other import is read from disk
through the loader. The loaded set is reused while those buffers keep their text
and the files their size and modification time, so an edit costs one piece of
parse and no re-reading.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from flowc.compiler.communication import expand
from flowc.compiler.containers import Hierarchy, build_hierarchy
from flowc.compiler.graph import FlowGraph, build_graph
from flowc.compiler.scope import Scope, collect
from flowc.dsl import ast
from flowc.dsl.diagnostics import Diagnostic
from flowc.dsl.loader import SourceSet, load_text
from flowc.dsl.source import SourceFile
from flowc.tools.commands.lint import keep, lint_file, suppressions
from flowc.tools.lsp.chunks import Parsed, parse_buffer
from flowc.tools.lsp.index import Index, build_index
from flowc.tools.lsp.paths import STD
from flowc.tools.lsp.positions import BOM, UTF16, LineIndex
from flowc.tools.lsp.symbols import document_symbols

_NOT_NEWLINE = re.compile(r"[^\n]")
_loaded: dict[str, tuple[str, tuple, SourceSet]] = {}  # key -> (imports text, versions, what load_text gave)


@dataclass
class Snapshot:
    uri: str
    key: str  # the loader's key of the document's file
    text: str  # as the client has it
    version: int | None = None
    encoding: str = UTF16
    edited: Mapping[str, str] = field(default_factory=dict)  # the other open documents' texts, by key

    @cached_property
    def lines(self) -> LineIndex:
        return LineIndex(self.text, self.encoding)

    @cached_property
    def source_text(self) -> str:
        """The compiler's text: the client's without a byte-order mark."""
        return self.text.removeprefix(BOM)

    @cached_property
    def parsed(self) -> Parsed:
        return parse_buffer(self.source_text, self.key)

    @property
    def module(self) -> ast.Module:
        return self.parsed.module

    @cached_property
    def sources(self) -> SourceSet:
        """This buffer's module with every file it imports, loaded as `flowc lint` would."""
        loaded = _load_imports(self.key, self.source_text, self.module, self.edited)
        sources = SourceSet(main=self.key, modules=dict(loaded.modules), sources=dict(loaded.sources),
                            diagnostics=list(loaded.diagnostics))
        sources.modules[self.key] = self.module
        sources.sources[self.key] = SourceFile(self.key, self.source_text)
        return sources

    @cached_property
    def scope(self) -> Scope:
        return collect(self.sources)

    def workflows_of_pattern(self, pattern: str) -> list[str]:
        """The workflows that pair the container pattern `pattern` with a communication pattern."""
        return [name for name, decl in self.scope.workflows.items() if _setting(decl, "containers") == pattern]

    def workflows_of_communication(self, name: str) -> list[str]:
        return [w for w, decl in self.scope.workflows.items() if _setting(decl, "communication") == name]

    def hierarchy(self, pattern: str) -> Hierarchy | None:
        """The container factory's hierarchy of a container pattern."""
        if pattern not in self._hierarchies:
            decl = self.scope.containers.get(pattern)
            self._hierarchies[pattern] = build_hierarchy(decl, self.scope)[0] if decl is not None else None
        return self._hierarchies[pattern]

    def graph(self, workflow: str) -> FlowGraph | None:
        """A workflow's graph: its patterns through the two factories, without binding (hover, navigation)."""
        if workflow not in self._graphs:
            decl = self.scope.workflows.get(workflow)
            containers, communication = (_setting(decl, "containers"), _setting(decl, "communication")) \
                if decl is not None else (None, None)
            hierarchy = self.hierarchy(containers) if containers else None
            comm = self.scope.communications.get(communication) if communication else None
            graph = None
            if hierarchy is not None and comm is not None:
                graph = build_graph(hierarchy, expand(comm, hierarchy, self.scope)[0], self.scope)
            self._graphs[workflow] = graph
        return self._graphs[workflow]

    def pattern_graph(self, pattern: str) -> FlowGraph | None:
        """The graph of the first workflow that uses the container pattern (None without one)."""
        for workflow in self.workflows_of_pattern(pattern):
            graph = self.graph(workflow)
            if graph is not None:
                return graph
        return None

    @cached_property
    def _hierarchies(self) -> dict[str, Hierarchy | None]:
        return {}

    @cached_property
    def _graphs(self) -> dict[str, FlowGraph | None]:
        return {}

    @cached_property
    def diagnostics(self) -> list[Diagnostic]:
        """What `flowc lint` reports for this buffer; only syntax and import errors while a piece does not parse."""
        if not self.parsed.ok:
            return [*self.parsed.diagnostics, *self.sources.diagnostics]
        found = dict.fromkeys(lint_file(self.sources))
        return list(keep(found, suppressions(self.sources.modules), frozenset(), frozenset()))

    @cached_property
    def outline(self) -> list:
        return document_symbols(self)

    @cached_property
    def index(self) -> Index:
        return build_index(self)


def _setting(decl: ast.WorkflowDecl, name: str) -> str | None:
    for item in decl.items:
        if isinstance(item, ast.WorkflowSetting) and item.name == name and isinstance(item.value, ast.Name):
            return item.value.id
    return None


def _load_imports(key: str, text: str, module: ast.Module, edited: Mapping[str, str]) -> SourceSet:
    """The files the module imports, loaded by the loader from a text that holds only the import lines.

    The import declarations keep their places (everything else becomes blanks), so
    the loader's diagnostics point at the right spans of the buffer. An imported file
    open in the editor is read from its buffer (`edited`).
    """
    imports = [d for d in module.declarations if isinstance(d, ast.Import)]
    parts, last = [], 0
    for decl in imports:
        parts.append(_NOT_NEWLINE.sub(" ", text[last:decl.span.start]))
        parts.append(text[decl.span.start:decl.span.end])
        last = decl.span.end
    imports_text = "".join(parts)
    cached = _loaded.get(key)
    if cached is not None and cached[0] == imports_text and cached[1] == _versions(cached[2], key, edited):
        return cached[2]
    loaded = load_text(imports_text, key, edited)
    if not loaded.diagnostics:  # a missing file may appear: load again next time
        _loaded[key] = (imports_text, _versions(loaded, key, edited), loaded)
    else:
        _loaded.pop(key, None)
    return loaded


def _versions(loaded: SourceSet, main: str, edited: Mapping[str, str]) -> tuple:
    """The text of each imported file open in the editor, the size and modification time of each
    other one: when one changes, the imports load again."""
    out: list[tuple] = []
    for name in loaded.sources:
        if name == main or name.startswith(STD):
            continue
        if name in edited:
            out.append((name, edited[name]))
            continue
        try:
            stat = os.stat(name)
            out.append((name, stat.st_size, stat.st_mtime_ns))
        except OSError:
            out.append((name, None, None))
    return tuple(out)


def invalidate(key: str | None = None) -> None:
    """Forget loaded imports (of one document, or all): a file changed on disk."""
    if key is None:
        _loaded.clear()
    else:
        _loaded.pop(key, None)
