"""The graph IR: one networkx MultiDiGraph per workflow, the single source of truth for topology.

Nodes are the containers that take part in routing (their dotted paths), with
role, settings, parent and declaration order. Edges are routes keyed by
`(event, feedback)`; routes that repeat a (source, target, event) merge into
one edge whose guards are alternatives (an event passes if any guard does).
Holder containers (the root `backtest`) appear only as `parent` attributes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import networkx as nx

from flowc.compiler.communication import Guard, RouteSpec
from flowc.compiler.containers import ContainerNode, Hierarchy
from flowc.compiler.scope import Scope
from flowc.dsl.source import Span


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    event: str
    feedback: bool
    guards: tuple[Guard, ...] | None  # None: every event passes
    origins: tuple[Span, ...]
    adapters: tuple[str, ...]
    via: str | None


class FlowGraph:
    """A thin, typed view over the networkx graph that later stages read."""

    def __init__(self, g: nx.MultiDiGraph, hierarchy: Hierarchy):
        self.g = g
        self.hierarchy = hierarchy

    # ---- nodes ----

    @property
    def nodes(self) -> list[str]:
        """Routing containers in declaration order."""
        return sorted(self.g.nodes, key=lambda n: self.g.nodes[n]["order"])

    def container(self, path: str) -> ContainerNode:
        return self.g.nodes[path]["container"]

    def role(self, path: str) -> str:
        return self.g.nodes[path]["role"]

    def of_role(self, role: str) -> list[str]:
        return [n for n in self.nodes if self.role(n) == role]

    # ---- edges ----

    def edges(self) -> Iterator[Edge]:
        for _, _, data in sorted(self.g.edges(data=True), key=lambda e: (self.g.nodes[e[0]]["order"],
                                                                          self.g.nodes[e[1]]["order"],
                                                                          e[2]["edge"].event)):
            yield data["edge"]

    def incoming(self, path: str, event: str | None = None, *, feedback: bool | None = None) -> list[Edge]:
        """Routes into `path` in a deterministic order: by the source's declaration order."""
        found = [d["edge"] for _, _, d in self.g.in_edges(path, data=True)
                 if (event is None or d["edge"].event == event)
                 and (feedback is None or d["edge"].feedback == feedback)]
        return sorted(found, key=lambda e: (self.g.nodes[e.source]["order"], e.event, e.feedback))

    def outgoing(self, path: str, event: str | None = None) -> list[Edge]:
        found = [d["edge"] for _, _, d in self.g.out_edges(path, data=True)
                 if event is None or d["edge"].event == event]
        return sorted(found, key=lambda e: (self.g.nodes[e.target]["order"], e.event, e.feedback))

    def forward_graph(self) -> nx.DiGraph:
        """The graph with feedback routes removed, as a simple DiGraph (what scheduling sees)."""
        dag = nx.DiGraph()
        dag.add_nodes_from(self.g.nodes)
        dag.add_edges_from((e.source, e.target) for e in self.edges() if not e.feedback)
        return dag


def build_graph(hierarchy: Hierarchy, routes: list[RouteSpec], scope: Scope) -> FlowGraph:
    g = nx.MultiDiGraph(pattern=hierarchy.pattern)
    for node in hierarchy.nodes.values():
        role = scope.roles.get(node.role)
        if role is not None and role.routes:
            g.add_node(node.path, role=node.role, container=node, order=node.order, parent=node.parent)
    merged: dict[tuple[str, str, str, bool], list[RouteSpec]] = {}
    for route in routes:
        if route.source in g and route.target in g:
            merged.setdefault((route.source, route.target, route.event, route.feedback), []).append(route)
    for (source, target, event, feedback), specs in merged.items():
        guards = None if any(s.guard is None for s in specs) else tuple(s.guard for s in specs)
        edge = Edge(source, target, event, feedback, guards,
                    tuple(dict.fromkeys(s.origin for s in specs)), tuple(dict.fromkeys(s.adapter for s in specs)),
                    next((s.via for s in specs if s.via), None))
        g.add_edge(source, target, key=(event, feedback), edge=edge)
    return FlowGraph(g, hierarchy)
