"""FL304: a container without an input its role needs to do anything (spec sections 6 and 8).

Execution and portfolio containers run on BAR; a portfolio also needs FILL,
a risk container SIGNAL, and PORTFOLIO (equity, drawdown) when it sizes by
`percent_equity` or limits `max_drawdown`; a strategy needs some input.
Without these the container is legal but silently inert, which is never
what was meant. A route counts whether it is forward or feedback.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.compiler.lint.facts import events_in, first_of_role
from flowc.compiler.schema import Events, Roles
from flowc.compiler.workflow import Analysis
from flowc.dsl import ast
from flowc.dsl.diagnostics import Diagnostic, diagnose

# role -> (event, why) pairs every container of the role needs
ALWAYS = {
    Roles.EXECUTION: ((Events.BAR, "it fills orders at bar prices"),),
    Roles.PORTFOLIO: ((Events.FILL, "it applies fills"), (Events.BAR, "it marks positions at the close")),
    Roles.RISK: ((Events.SIGNAL, "it acts only on signals"),),
}
# event -> (source role, adapter) of the usual route that delivers it, for the hint
USUAL = {Events.BAR: (Roles.DATA, "broadcast"), Events.FILL: (Roles.EXECUTION, "route"),
         Events.SIGNAL: (Roles.STRATEGY, "route"), Events.PORTFOLIO: (Roles.PORTFOLIO, "feedback")}


def missing_input(analysis: Analysis) -> Iterator[Diagnostic]:
    graph = analysis.graph
    if graph is None:
        return
    nodes = graph.nodes
    for path in nodes:
        node = graph.container(path)
        inputs = events_in(graph, path)
        needs = list(ALWAYS.get(node.role, ()))
        if node.role == Roles.RISK:
            settings = {s.name: s.value for s in node.settings}
            size = settings.get("size")
            if isinstance(size, ast.Call) and size.func == "percent_equity":
                needs.append((Events.PORTFOLIO, "it sizes by `percent_equity`, a share of the equity"))
            if "max_drawdown" in settings:
                needs.append((Events.PORTFOLIO, "it reads the drawdown for `max_drawdown`"))
        if node.role == Roles.STRATEGY and not inputs:
            yield diagnose(
                "FL304", node.span,
                f"route BAR or FEATURE to it, e.g. `route {first_of_role(graph, Roles.FEATURE, nodes, 'features')}"
                f" -> {path} : FEATURE`", detail=f"the strategy `{path}` has no input")
        for event, why in needs:
            if event in inputs:
                continue
            inputs.add(event)  # one diagnostic per missing event
            source_role, adapter = USUAL[event]
            source = first_of_role(graph, source_role, nodes, source_role)
            yield diagnose("FL304", node.span, f"e.g. `{adapter} {source} -> {path} : {event}`",
                           detail=f"the {node.role} container `{path}` has no {event} input, and {why}")
