"""Every name of a snapshot's files, each with what it means: the ground of hover, definition and references.

A walk over the ASTs of the document and the files it imports records each
place a name is declared or used as an `Occurrence` of a `Symbol`. Names are
resolved the way the compiler resolves them: a container reference through the
container factory's `Hierarchy.resolve`, in the container patterns its
communication pattern is paired with by workflows; a name in a setting first
among the container's own settings, then among what its incoming routes deliver
(the binder's `delivered`, on the workflow's graph), then among the params; a
call by the component contracts, by role and setting.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from flowc.compiler.bind import Binder
from flowc.compiler.containers import ContainerNode, Hierarchy
from flowc.compiler.schema import BAR_FIELDS, Events
from flowc.dsl import ast
from flowc.dsl.source import Span
from flowc.tools.lsp.paths import import_target

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRING = re.compile(r'"(?:[^"\\\n]|\\["\\])*"')


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


@dataclass(frozen=True)
class Symbol:
    """What a name means. `owner` places it: a container's pattern, a setting's container, a field's event."""

    kind: str  # param event field role containers communication workflow container setting component file
    name: str
    owner: tuple[str, ...] = ()


@dataclass(frozen=True)
class Occurrence:
    path: str
    start: int
    end: int
    symbol: Symbol
    definition: bool = False


@dataclass
class Index:
    occurrences: dict[str, list[Occurrence]] = field(default_factory=dict)  # path -> sorted by start
    by_symbol: dict[Symbol, list[Occurrence]] = field(default_factory=dict)
    hierarchies: dict[str, Hierarchy] = field(default_factory=dict)  # container pattern -> hierarchy
    settings: dict[tuple[str, str, str], ast.Setting] = field(default_factory=dict)  # (pattern, path, name)

    def add(self, occurrence: Occurrence) -> None:
        self.occurrences.setdefault(occurrence.path, []).append(occurrence)
        self.by_symbol.setdefault(occurrence.symbol, []).append(occurrence)

    def at(self, path: str, offset: int) -> Occurrence | None:
        """The innermost occurrence at an offset (a cursor just after a name counts as on it)."""
        found = self.occurrences.get(path, [])
        i = bisect.bisect_right(found, offset, key=lambda o: o.start)
        best = None
        for occurrence in reversed(found[max(0, i - 8):i]):
            if occurrence.start <= offset <= occurrence.end and (
                    best is None or occurrence.end - occurrence.start < best.end - best.start):
                best = occurrence
        return best

    def definitions(self, symbol: Symbol) -> list[Occurrence]:
        return [o for o in self.by_symbol.get(symbol, []) if o.definition]

    def references(self, symbol: Symbol) -> list[Occurrence]:
        return self.by_symbol.get(symbol, [])

    def container(self, pattern: str, path: str) -> ContainerNode | None:
        hierarchy = self.hierarchies.get(pattern)
        return hierarchy.nodes.get(path) if hierarchy else None


def build_index(snapshot) -> Index:
    index = Index()
    walker = _Walker(snapshot, index)
    for path, module in snapshot.sources.modules.items():
        walker.module(path, module)
    for found in index.occurrences.values():
        found.sort(key=lambda o: (o.start, o.end))
    return index


class _Walker:
    def __init__(self, snapshot, index: Index):
        self.snapshot = snapshot
        self.scope = snapshot.scope
        self.index = index
        self.path = ""
        self.text = ""
        self._delivered: dict[tuple[str, str], dict | None] = {}
        for name in self.scope.containers:
            hierarchy = snapshot.hierarchy(name)
            if hierarchy is not None:
                index.hierarchies[name] = hierarchy

    # ---- helpers ----

    def add(self, start: int, end: int, symbol: Symbol, definition: bool = False) -> None:
        self.index.add(Occurrence(self.path, start, end, symbol, definition))

    def name_in(self, span: Span, name: str, skip: int = 0) -> tuple[int, int]:
        """Where `name` is written as a word inside `span`, the first time after `skip` characters."""
        text, start = self.text, span.start + skip
        while True:
            found = text.find(name, start, max(span.end, start))
            if found < 0:
                return span.start, span.start
            end = found + len(name)
            if (found == 0 or not _is_word(text[found - 1])) and (end == len(text) or not _is_word(text[end])):
                return found, end
            start = found + 1

    def declared(self, span: Span, keyword: str, name: str, symbol: Symbol) -> None:
        start, end = self.name_in(span, name, len(keyword))
        self.add(start, end, symbol, definition=True)

    # ---- declarations ----

    def module(self, path: str, module: ast.Module) -> None:
        self.path = path
        source = self.snapshot.sources.sources.get(path)
        self.text = source.text if source else ""
        for decl in module.declarations:
            if isinstance(decl, ast.Import):
                match = _STRING.search(self.text, decl.span.start, decl.span.end)
                start, end = (match.start(), match.end()) if match else (decl.span.start, decl.span.end)
                self.add(start, end, Symbol("file", import_target(path, decl.path)))
            elif isinstance(decl, ast.Param):
                self.declared(decl.span, "param", decl.name, Symbol("param", decl.name))
            elif isinstance(decl, ast.EventDecl):
                self.declared(decl.span, "event", decl.name, Symbol("event", decl.name))
                for f in decl.fields:
                    self.declared(f.span, "", f.name, Symbol("field", f.name, (decl.name,)))
            elif isinstance(decl, ast.RoleDecl):
                self.declared(decl.span, "role", decl.name, Symbol("role", decl.name))
                self.events((*decl.consumes, *decl.produces))
            elif isinstance(decl, ast.ContainersDecl):
                self.containers(decl)
            elif isinstance(decl, ast.CommunicationDecl):
                self.communication(decl)
            elif isinstance(decl, ast.WorkflowDecl):
                self.workflow(decl)

    def events(self, idents: tuple[ast.Ident, ...]) -> None:
        for ident in idents:
            self.add(ident.span.start, ident.span.end, Symbol("event", ident.name))

    def containers(self, decl: ast.ContainersDecl) -> None:
        pattern = decl.name
        self.declared(decl.span, "containers", pattern, Symbol("containers", pattern))
        hierarchy = self.index.hierarchies.get(pattern)
        if hierarchy is None or self.scope.containers.get(pattern) is not decl:
            return  # a second pattern of the same name (FL202): its names mean nothing
        paths = {node.span.start: node.path for node in hierarchy.nodes.values()}
        for root in decl.roots:
            self.container(pattern, root, paths)

    def container(self, pattern: str, node: ast.Container, paths: dict[int, str]) -> None:
        path = paths.get(node.span.start)
        if path is None:
            return
        self.declared(node.span, "", node.name, Symbol("container", path, (pattern,)))
        self.add(node.role.span.start, node.role.span.end, Symbol("role", node.role.name))
        earlier: list[str] = []
        for item in node.items:
            if isinstance(item, ast.Container):
                self.container(pattern, item, paths)
                continue
            self.index.settings[(pattern, path, item.name)] = item
            self.declared(item.span, "", item.name, Symbol("setting", item.name, (pattern, path)))
            for name, start, end, role_setting in self.expression(item.value, item.name, node.role.name):
                if role_setting is not None:
                    self.add(start, end, Symbol("component", name, role_setting))
                else:
                    symbol = self.resolve(name, pattern, path, earlier)
                    if symbol is not None:
                        self.add(start, end, symbol)
            earlier.append(item.name)

    def expression(self, expr: ast.Expr | None, setting: str, role: str) -> Iterator[tuple]:
        """(name, start, end, None) for each name read and (func, start, end, (role, setting)) for each call."""
        if isinstance(expr, ast.Name):
            yield expr.id, expr.span.start, expr.span.end, None
        elif isinstance(expr, ast.Call):
            yield expr.func, expr.span.start, expr.span.start + len(expr.func), (role, setting)
            for arg in (*expr.args, *(kw.value for kw in expr.kwargs)):
                yield from self.expression(arg, setting, role)
        elif isinstance(expr, ast.Unary):
            yield from self.expression(expr.operand, setting, role)
        elif isinstance(expr, ast.Binary):
            yield from self.expression(expr.left, setting, role)
            yield from self.expression(expr.right, setting, role)
        elif isinstance(expr, ast.ListExpr):
            for item in expr.items:
                yield from self.expression(item, setting, role)

    def resolve(self, name: str, pattern: str, path: str, earlier: list[str]) -> Symbol | None:
        """What a name read in a setting of container `path` means, as the binder sees it."""
        if name in earlier:
            return Symbol("setting", name, (pattern, path))
        delivered = self.delivered(pattern, path)
        if delivered is not None and name in delivered:
            found = delivered[name]
            if found.source:
                return Symbol("setting", name, (pattern, found.source))
            return Symbol("field", name, (Events.BAR,))
        if name in self.scope.params:
            return Symbol("param", name)
        hierarchy = self.index.hierarchies[pattern]
        for other in hierarchy.nodes.values():
            if other.path != path and any(s.name == name for s in other.settings):
                return Symbol("setting", name, (pattern, other.path))
        if name in BAR_FIELDS:
            return Symbol("field", name, (Events.BAR,))
        return None

    def delivered(self, pattern: str, path: str) -> dict | None:
        key = (pattern, path)
        if key not in self._delivered:
            graph = self.snapshot.pattern_graph(pattern)
            found = Binder(graph, self.scope, {}).delivered(path) if graph is not None and path in graph.g else None
            self._delivered[key] = found
        return self._delivered[key]

    def communication(self, decl: ast.CommunicationDecl) -> None:
        self.declared(decl.span, "communication", decl.name, Symbol("communication", decl.name))
        if self.scope.communications.get(decl.name) is not decl:
            return
        hierarchies = self.paired(decl.name)
        for adapter in decl.adapters:
            refs: list[ast.Ref] = []
            if isinstance(adapter, ast.Pipeline):
                refs = list(adapter.stages)
            elif isinstance(adapter, ast.Broadcast):
                refs = [adapter.source, *adapter.targets]
            elif isinstance(adapter, ast.Route | ast.Feedback):
                refs = [*adapter.sources, *adapter.targets]
            elif isinstance(adapter, ast.Selective):
                refs = [adapter.source, *(case.target for case in adapter.cases)]
            elif isinstance(adapter, ast.Hierarchical):
                refs = [adapter.parent]
            for ref in refs:
                self.ref(ref, hierarchies)
            events = getattr(adapter, "events", ())
            self.events(events)
            predicates = [adapter.when] if isinstance(adapter, ast.Route) else [
                case.predicate for case in adapter.cases] if isinstance(adapter, ast.Selective) else []
            for predicate in predicates:
                for name, start, end, call in self.expression(predicate, "", ""):
                    if call is None:
                        symbol = self.field_of(name, [e.name for e in events])
                        if symbol is not None:
                            self.add(start, end, symbol)

    def paired(self, communication: str) -> list[Hierarchy]:
        """The hierarchies a communication pattern's references resolve in: its workflows' patterns, else all."""
        names = []
        for workflow in self.snapshot.workflows_of_communication(communication):
            decl = self.scope.workflows[workflow]
            for item in decl.items:
                if isinstance(item, ast.WorkflowSetting) and item.name == "containers" \
                        and isinstance(item.value, ast.Name) and item.value.id in self.index.hierarchies:
                    names.append(item.value.id)
        names = list(dict.fromkeys(names)) or list(self.index.hierarchies)
        return [self.index.hierarchies[n] for n in names]

    def ref(self, ref: ast.Ref, hierarchies: list[Hierarchy]) -> None:
        parts = list(_WORD.finditer(self.text, ref.span.start, ref.span.end))
        for i, match in enumerate(parts[:len(ref.parts)]):
            prefix = ref if i + 1 == len(ref.parts) else ast.Ref(ref.parts[:i + 1], span=ref.span)
            for hierarchy in hierarchies:
                path, _ = hierarchy.resolve(prefix)
                if path is not None:
                    self.add(match.start(), match.end(), Symbol("container", path, (hierarchy.pattern,)))

    def field_of(self, name: str, events: list[str]) -> Symbol | None:
        for event in events:
            found = self.scope.events.get(event)
            if found is not None and name in found.fields:
                return Symbol("field", name, (event,))
        if name in self.scope.params:
            return Symbol("param", name)
        return None

    def workflow(self, decl: ast.WorkflowDecl) -> None:
        self.declared(decl.span, "workflow", decl.name, Symbol("workflow", decl.name))
        for item in decl.items:
            if isinstance(item, ast.WorkflowSetting) and item.name in ("containers", "communication") \
                    and isinstance(item.value, ast.Name):
                self.add(item.value.span.start, item.value.span.end, Symbol(item.name, item.value.id))
            elif isinstance(item, ast.Sweep):
                start, end = self.name_in(item.span, item.param, len("sweep"))
                self.add(start, end, Symbol("param", item.param))
