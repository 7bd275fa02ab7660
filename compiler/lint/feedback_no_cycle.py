"""FL405: a feedback route whose target does not reach its source through forward routes.

Such a route closes no cycle, so its one-step delay buys nothing: a forward
route would deliver the same event in the same step. Usually a sign of a
route written the wrong way round. All feedback routes are answered by one
pass over the condensation of the forward graph: each component carries
the set of feedback sources it reaches as a bit mask (an int), so the cost
is linear in the graph times the number of distinct feedback sources / 64.
"""

from __future__ import annotations

from collections.abc import Iterator

import networkx as nx

from flowc.compiler.lint.facts import feedback_routes, forward
from flowc.compiler.workflow import Analysis
from flowc.dsl.diagnostics import Diagnostic, diagnose


def feedback_no_cycle(analysis: Analysis) -> Iterator[Diagnostic]:
    graph = analysis.graph
    if graph is None:
        return
    feedback = feedback_routes(graph)
    if not feedback:
        return
    bit: dict[str, int] = {}
    for edge in feedback:
        bit.setdefault(edge.source, 1 << len(bit))
    dag = nx.condensation(forward(graph))
    component = dag.graph["mapping"]
    reaches: dict[int, int] = {}  # component -> mask of the feedback sources it reaches
    for c in reversed(list(nx.topological_sort(dag))):
        mask = 0
        for node in dag.nodes[c]["members"]:
            mask |= bit.get(node, 0)
        for succ in dag.successors(c):
            mask |= reaches[succ]
        reaches[c] = mask
    for edge in feedback:
        if not reaches[component[edge.target]] & bit[edge.source]:
            yield diagnose(
                "FL405", edge.origins[0],
                f"a forward route delivers in the same step: `route {edge.source} -> {edge.target} : "
                f"{edge.event}`, unless the one-step delay is wanted", source=edge.source,
                target=edge.target, event=edge.event)
