"""FL401: a cycle of forward routes is an algebraic loop (spec section 6, item 3).

Containers run in one static order per step, a topological order of the
graph without its feedback routes; a cycle there has no such order. Each
strongly connected component of the forward graph with a cycle is reported
once, with one witness cycle found by a breadth-first search inside the
component (linear in its size), so the user sees a loop that really exists.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from itertools import pairwise

import networkx as nx

from flowc.compiler.graph import Edge, FlowGraph
from flowc.compiler.lint.facts import forward as forward_graph
from flowc.compiler.workflow import Analysis
from flowc.dsl.diagnostics import Diagnostic, diagnose
from flowc.dsl.source import Span


def algebraic_loop(analysis: Analysis) -> Iterator[Diagnostic]:
    graph = analysis.graph
    if graph is None:
        return
    forward = forward_graph(graph)
    order = {n: graph.g.nodes[n]["order"] for n in forward}
    for component in nx.strongly_connected_components(forward):
        start = min(component, key=order.__getitem__)
        if len(component) == 1 and not forward.has_edge(start, start):
            continue
        cycle = witness_cycle(forward, component, start)
        hops = list(pairwise(cycle))
        # Point at the route written last: usually the one that closed the loop.
        closing = max(hops, key=lambda hop: _position(_origin(graph, *hop)))
        yield diagnose("FL401", _origin(graph, *closing),
                       "every cycle needs a feedback route (a one-step delay), e.g. "
                       f"`feedback {closing[0]} -> {closing[1]} : {_events(graph, *closing)}`",
                       detail="algebraic loop: " + " -> ".join(cycle))


def witness_cycle(forward: nx.DiGraph, component: set[str], start: str) -> list[str]:
    """A shortest cycle through `start` inside its strongly connected component, closed: [a, ..., a]."""
    parent: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for succ in forward.successors(node):
            if succ == start:
                path = [node]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return [*reversed(path), start]
            if succ in component and succ not in parent:
                parent[succ] = node
                queue.append(succ)
    raise AssertionError(f"{start} is on no cycle of its component")  # a strongly connected component has one


def _forward_edges(graph: FlowGraph, a: str, b: str) -> list[Edge]:
    return [d["edge"] for d in graph.g.get_edge_data(a, b).values() if not d["edge"].feedback]


def _position(span: Span) -> tuple[str, int, int]:
    return span.path, span.line, span.column


def _origin(graph: FlowGraph, a: str, b: str) -> Span:
    """The first statement that made a forward route from `a` to `b`."""
    return min((o for e in _forward_edges(graph, a, b) for o in e.origins), key=_position)


def _events(graph: FlowGraph, a: str, b: str) -> str:
    return ", ".join(sorted(e.event for e in _forward_edges(graph, a, b)))
