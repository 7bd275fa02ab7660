"""The communication factory: adapter statements expand to routes `source -> target : EVENT`.

It knows adapters and routes only; roles enter through their contracts
(what a role produces and consumes). Each route records the statement that
made it, so a diagnostic can point at the source line.
"""

from __future__ import annotations

from dataclasses import dataclass

from flowc.compiler.containers import Hierarchy
from flowc.compiler.scope import Scope
from flowc.dsl import ast
from flowc.dsl.diagnostics import Diagnostic, diagnose, did_you_mean
from flowc.dsl.source import Span


@dataclass(frozen=True)
class Guard:
    """An event passes when every `required` predicate holds and no `excluded` one does."""

    required: tuple[ast.Expr, ...] = ()
    excluded: tuple[ast.Expr, ...] = ()


@dataclass(frozen=True)
class RouteSpec:
    source: str
    target: str
    event: str
    feedback: bool
    guard: Guard | None  # None: every event passes
    adapter: str  # the statement kind that made it
    origin: Span
    via: str | None = None  # the hierarchical container that forwarded it


class _Expander:
    def __init__(self, hierarchy: Hierarchy, scope: Scope, forwarding: dict[str, frozenset[str]]):
        self.h = hierarchy
        self.scope = scope
        self.forwarding = forwarding  # hierarchical container -> events it forwards down
        self.routes: list[RouteSpec] = []
        self.problems: list[Diagnostic] = []

    # ---- helpers ----

    def ref(self, ref: ast.Ref) -> str | None:
        path, problem = self.h.resolve(ref)
        if problem:
            self.problems.append(problem)
        return path

    def refs(self, refs: tuple[ast.Ref, ...]) -> list[str]:
        return [p for p in (self.ref(r) for r in refs) if p is not None]

    def events(self, idents: tuple[ast.Ident, ...]) -> list[str]:
        known = []
        for ident in idents:
            if ident.name in self.scope.events:
                known.append(ident.name)
            else:
                self.problems.append(diagnose(
                    "FL210", ident.span,
                    did_you_mean(ident.name, self.scope.events) or "events: " + ", ".join(self.scope.events),
                    name=ident.name))
        return known

    def role(self, path: str):
        return self.scope.roles.get(self.h.nodes[path].role)

    def produces(self, path: str) -> set[str]:
        """What a container produces for routing: its role's events, plus its children's if it forwards."""
        role = self.role(path)
        out = set(role.produces) if role else set()
        if path in self.forwarding:
            for child in self.h.nodes[path].children:
                out |= self.produces(child)
        return out

    def accepts(self, path: str) -> set[str]:
        role = self.role(path)
        return (set(role.consumes) if role else set()) | set(self.forwarding.get(path, ()))

    def emitters(self, path: str, event: str) -> list[str]:
        """The containers a route out of `path` carrying `event` starts at (children, for forwarders)."""
        role = self.role(path)
        if role and event in role.produces:
            return [path]
        if path in self.forwarding:
            return [e for child in self.h.nodes[path].children for e in self.emitters(child, event)]
        return []

    def add(self, source: str, target: str, event: str, stmt: ast.Node, adapter: str, *,
            feedback: bool = False, guard: Guard | None = None) -> None:
        if self.role(source) is None or self.role(target) is None:
            return  # an unknown role was reported by the container factory
        starts = self.emitters(source, event)
        if not starts:
            role = self.h.nodes[source].role
            self.problems.append(diagnose("FL301", stmt.span,
                                          f"a {role} container produces {_listing(self.produces(source))}",
                                          source=source, role=role, event=event))
            return
        if event not in self.accepts(target):
            role = self.h.nodes[target].role
            self.problems.append(diagnose("FL302", stmt.span,
                                          f"a {role} container consumes {_listing(self.accepts(target))}",
                                          target=target, role=role, event=event))
            return
        for start in starts:
            self.routes.append(RouteSpec(start, target, event, feedback, guard, adapter, stmt.span))

    # ---- adapters ----

    def pipeline(self, stmt: ast.Pipeline) -> None:
        stages = [self.ref(r) for r in stmt.stages]
        for (a, ref_a), (b, ref_b) in zip(zip(stages, stmt.stages, strict=True),
                                          zip(stages[1:], stmt.stages[1:], strict=True), strict=False):
            if a is None or b is None or self.role(a) is None or self.role(b) is None:
                continue
            fits = sorted(self.produces(a) & self.accepts(b), key=list(self.scope.events).index)
            if not fits:
                ra, rb = self.h.nodes[a].role, self.h.nodes[b].role
                span = Span(ref_a.span.path, ref_a.span.line, ref_a.span.column, ref_b.span.end_line,
                            ref_b.span.end_column, ref_a.span.start, ref_b.span.end)
                self.problems.append(diagnose(
                    "FL303", span,
                    f"{ra} produces {_listing(self.produces(a))}; {rb} consumes {_listing(self.accepts(b))}",
                    source=a, source_role=ra, target=b, target_role=rb))
            for event in fits:
                self.add(a, b, event, stmt, "pipeline")

    def broadcast(self, stmt: ast.Broadcast) -> None:
        source = self.ref(stmt.source)
        for target in self.refs(stmt.targets):
            for event in self.events(stmt.events):
                if source is not None:
                    self.add(source, target, event, stmt, "broadcast")

    def route(self, stmt: ast.Route) -> None:
        guard = Guard(required=(stmt.when,)) if stmt.when is not None else None
        events = self.events(stmt.events)
        for source in self.refs(stmt.sources):
            for target in self.refs(stmt.targets):
                for event in events:
                    self.add(source, target, event, stmt, "route", guard=guard)

    def selective(self, stmt: ast.Selective) -> None:
        source = self.ref(stmt.source)
        events = self.events(stmt.events)
        earlier: list[ast.Expr] = []
        for i, case in enumerate(stmt.cases):
            if case.predicate is None and i != len(stmt.cases) - 1:
                self.problems.append(diagnose("FL101", case.span, "move the `else` case to the end",
                                              detail="`else` must be the last case of a selective statement"))
            target = self.ref(case.target)
            required = () if case.predicate is None else (case.predicate,)
            guard = Guard(required=required, excluded=tuple(earlier))
            if target is not None and source is not None:
                for event in events:
                    self.add(source, target, event, stmt, "selective", guard=guard)
            if case.predicate is not None:
                earlier.append(case.predicate)

    def feedback(self, stmt: ast.Feedback) -> None:
        events = self.events(stmt.events)
        for source in self.refs(stmt.sources):
            for target in self.refs(stmt.targets):
                for event in events:
                    self.add(source, target, event, stmt, "feedback", feedback=True)

    def hierarchical(self, stmt: ast.Hierarchical, parent: str) -> None:
        """Deliver what `parent` receives or produces of the listed events to its consuming children."""
        for event in self.events(stmt.events):
            own = event in (self.role(parent).produces if self.role(parent) else ())
            incoming = [r for r in self.routes if r.target == parent and r.event == event and not r.feedback]
            for child in self.h.nodes[parent].children:
                child_role = self.role(child)
                if child_role is None or event not in child_role.consumes | self.forwarding.get(child, set()):
                    continue
                if own:
                    self.routes.append(RouteSpec(parent, child, event, False, None, "hierarchical", stmt.span,
                                                 via=parent))
                for r in incoming:
                    self.routes.append(RouteSpec(r.source, child, event, False, r.guard, "hierarchical",
                                                 stmt.span, via=parent))


def _listing(events: set[str] | frozenset[str]) -> str:
    return ", ".join(sorted(events)) if events else "nothing"


def expand(decl: ast.CommunicationDecl, hierarchy: Hierarchy, scope: Scope) -> tuple[list[RouteSpec],
                                                                                     list[Diagnostic]]:
    """All routes of a communication pattern over a container hierarchy."""
    forwarding: dict[str, frozenset[str]] = {}
    hierarchical: list[tuple[int, ast.Hierarchical, str]] = []
    problems: list[Diagnostic] = []
    for stmt in decl.adapters:
        if isinstance(stmt, ast.Hierarchical):
            path, problem = hierarchy.resolve(stmt.parent)
            if problem:
                problems.append(problem)
                continue
            assert path is not None
            forwarding[path] = forwarding.get(path, frozenset()) | {e.name for e in stmt.events}
            hierarchical.append((path.count("."), stmt, path))
    expander = _Expander(hierarchy, scope, forwarding)
    expander.problems.extend(problems)
    for stmt in decl.adapters:
        if not isinstance(stmt, ast.Hierarchical):
            getattr(expander, type(stmt).__name__.lower())(stmt)
    for _, stmt, path in sorted(hierarchical, key=lambda item: item[0]):
        expander.hierarchical(stmt, path)
    return expander.routes, expander.problems
