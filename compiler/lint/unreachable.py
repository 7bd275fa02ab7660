"""FL402: a container that no data container reaches never receives an event, so it never runs.

Sources are the containers whose role consumes nothing and produces
something: `data`, and user roles shaped like it. One breadth-first walk
from all of them, along forward and feedback routes alike.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.compiler.lint.facts import first_of_role, reachable, role_of
from flowc.compiler.schema import Roles
from flowc.compiler.workflow import Analysis
from flowc.dsl.diagnostics import Diagnostic, diagnose


def unreachable(analysis: Analysis) -> Iterator[Diagnostic]:
    graph = analysis.graph
    if graph is None:
        return
    nodes = graph.nodes
    sources = [n for n in nodes if (role := role_of(analysis, n)) and role.produces and not role.consumes]
    reached = reachable(graph.g, sources)
    data = first_of_role(graph, Roles.DATA, nodes, "data")
    for path in nodes:
        if path not in reached:
            node = graph.container(path)
            yield diagnose("FL402", node.span,
                           f"route events to it, e.g. `broadcast {data} -> {path} : BAR`, or remove it",
                           path=path, role=node.role)
