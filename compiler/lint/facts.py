"""Small facts about an analysed workflow that several lint passes ask for.

Kept apart so that each pass module holds only its own rule.
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from flowc.compiler.graph import Edge, FlowGraph
from flowc.compiler.schema import Role
from flowc.compiler.workflow import Analysis
from flowc.dsl.diagnostics import has_errors


def role_of(analysis: Analysis, path: str) -> Role | None:
    """The contract of a container's role (None for a role nothing declares)."""
    assert analysis.graph is not None
    return analysis.scope.roles.get(analysis.graph.role(path))


def forward(graph: FlowGraph) -> nx.DiGraph:
    """The routes without the feedback ones, as a simple DiGraph: what must be acyclic.

    Built straight from the multigraph in insertion order; `FlowGraph.forward_graph`
    sorts every edge first, which a pass over 30,000 routes cannot afford twice.
    """
    dag = nx.DiGraph()
    dag.add_nodes_from(graph.g)
    dag.add_edges_from((u, v) for u, v, edge in graph.g.edges(data="edge") if not edge.feedback)
    return dag


def feedback_routes(graph: FlowGraph) -> list[Edge]:
    return [edge for _, _, edge in graph.g.edges(data="edge") if edge.feedback]


def events_in(graph: FlowGraph, path: str) -> set[str]:
    """The events some route, forward or feedback, delivers to `path`."""
    return {edge["edge"].event for edges in graph.g.pred[path].values() for edge in edges.values()}


def events_out(graph: FlowGraph, path: str) -> set[str]:
    """The events some route carries out of `path`."""
    return {edge["edge"].event for edges in graph.g.succ[path].values() for edge in edges.values()}


def reachable(g: nx.MultiDiGraph, starts: Iterable[str]) -> set[str]:
    """Every node reachable from any of `starts` (themselves included), in one breadth-first walk."""
    return {node for layer in nx.bfs_layers(g, list(starts)) for node in layer}


def first_of_role(graph: FlowGraph, role: str, nodes: list[str], default: str) -> str:
    """The first container of `role` in declaration order, for a hint; `default` if there is none."""
    return next((n for n in nodes if graph.role(n) == role), default)


def usage_known(analysis: Analysis) -> bool:
    """Whether 'nothing reads it' can be trusted: binding ran to the end without errors.

    A setting that failed to bind records none of the names it reads, so after an
    error an unused-param or unused-feature warning could be false.
    """
    return analysis.binding is not None and not has_errors(analysis.diagnostics)
