"""FL404: an event a container's role produces that no route carries out of it.

The container computes something nobody receives: a missing route, or a
container that could be removed. A portfolio's PORTFOLIO is exempt: it is
also the run's result (equity, positions), so a portfolio without feedback
is a complete topology.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.compiler.lint.facts import events_out, role_of
from flowc.compiler.schema import Events, Roles
from flowc.compiler.workflow import Analysis
from flowc.dsl.diagnostics import Diagnostic, diagnose

RESULTS = {Roles.PORTFOLIO: Events.PORTFOLIO}  # role -> the event that is the run's output


def never_consumed(analysis: Analysis) -> Iterator[Diagnostic]:
    graph = analysis.graph
    if graph is None:
        return
    nodes = graph.nodes
    consumers: dict[str, str] = {}  # event -> the first container that consumes it, for the hint
    for path in nodes:
        for event in getattr(role_of(analysis, path), "consumes", ()):
            consumers.setdefault(event, path)
    for path in nodes:
        role = role_of(analysis, path)
        if role is None:
            continue
        carried = events_out(graph, path)
        for event in sorted(role.produces - carried - {RESULTS.get(role.name)}):
            consumer = consumers.get(event, "TARGET")
            yield diagnose("FL404", graph.container(path).span,
                           f"route it, e.g. `route {path} -> {consumer} : {event}`, or remove what makes it",
                           path=path, role=role.name, event=event)
