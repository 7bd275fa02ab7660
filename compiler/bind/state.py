"""What a binding produces and how the binder reports a problem: the state every binder shares.

The jobs of binding (what a container can see, expressions, values, the per-role configs, the
containers, the route predicates) each live in their own module as a mixin of `BinderState`;
`binder.py` puts them together. Keeping the shared state here means each job's module reads
and writes the same `Binding` without importing the others.

What goes into the IR holds an event's name as plain text (`Events.BAR.value`), not the
enumeration member: the plan's digest is made from the IR's repr, where a member would show.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flowc.compiler.graph import FlowGraph
from flowc.compiler.ir import (
    BoundContainer,
    BoundGuard,
    Input,
    InputKey,
    ParamTable,
    ReplaySpec,
)
from flowc.compiler.scope import Scope, Value
from flowc.dsl.diagnostics import Diagnostic, diagnose
from flowc.dsl.source import Span


@dataclass
class Binding:
    containers: dict[str, BoundContainer] = field(default_factory=dict)
    guards: dict[tuple[str, str, str, bool], tuple[BoundGuard, ...]] = field(default_factory=dict)
    params: ParamTable = field(default_factory=ParamTable)
    symbol_literals: list[str] = field(default_factory=list)
    used_params: set[str] = field(default_factory=set)
    used_inputs: set[tuple[str, str, str]] = field(default_factory=set)  # (source, event, field) read
    replays: list[ReplaySpec] = field(default_factory=list)
    cross_reads: list[tuple[str, str, Span]] = field(default_factory=list)  # `name@SYMBOL`: name, symbol, where
    diagnostics: list[Diagnostic] = field(default_factory=list)


class Names:
    """What a name means at one place: locals, delivered fields, params.

    `failed` holds the settings declared above whose definition did not bind: still declared
    names, so a use of one is no new error (the failed definition already has its diagnostic).
    `book` holds what a risk container reads of its own book (`schema.BOOK_FIELDS`).
    """

    def __init__(self, locals_: dict[str, frozenset[InputKey]], fields: dict[str, Input],
                 failed: frozenset[str] = frozenset(), book: tuple[str, ...] = ()):
        self.locals = locals_
        self.fields = fields
        self.failed = failed
        self.book = book

    def visible(self) -> list[str]:
        return [*self.locals, *self.fields, *self.book]


class BinderState:
    """The graph and names being bound, the `Binding` being built, and `problem`, which records a diagnostic."""

    def __init__(self, graph: FlowGraph, scope: Scope, values: dict[str, Value]):
        self.graph = graph
        self.scope = scope
        self.values = values
        self.out = Binding()
        self.unreached = unreached(graph, scope)
        self.current = ""  # the container being bound

    def problem(self, code: str, message: str, span: Span | None, hint: str | None = None) -> None:
        if code == "FL209" and self.current in self.unreached:
            return  # no data container reaches it, so nothing is delivered to it: FL402 (a warning) says so
        self.out.diagnostics.append(diagnose(code, span, hint, detail=message))


def unreached(graph: FlowGraph, scope: Scope) -> frozenset[str]:
    """The containers no data container reaches (FL402's), when there is a data container at all."""
    import networkx as nx

    sources = [n for n in graph.nodes if (role := scope.roles.get(graph.role(n))) and role.produces
               and not role.consumes]
    if not sources:
        return frozenset()
    reached = {node for layer in nx.bfs_layers(graph.g, sources) for node in layer}
    return frozenset(n for n in graph.nodes if n not in reached)
