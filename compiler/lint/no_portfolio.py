"""FL403: a container whose output never reaches a portfolio cannot change a result.

Its work is wasted (or, more likely, a route is missing). One backward
breadth-first walk from all portfolios, along forward and feedback routes.
Portfolios themselves, and containers whose role produces nothing, are exempt.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.compiler.lint.facts import reachable, role_of
from flowc.compiler.schema import Roles
from flowc.compiler.workflow import Analysis
from flowc.dsl.diagnostics import Diagnostic, diagnose


def no_portfolio(analysis: Analysis) -> Iterator[Diagnostic]:
    graph = analysis.graph
    if graph is None:
        return
    nodes = graph.nodes
    portfolios = [n for n in nodes if graph.role(n) == Roles.PORTFOLIO]
    feeding = reachable(graph.g.reverse(copy=False), portfolios)
    for path in nodes:
        role = role_of(analysis, path)
        if path in feeding or role is None or not role.produces:
            continue
        node = graph.container(path)
        produced = ", ".join(sorted(role.produces))
        yield diagnose("FL403", node.span,
                       f"route its {produced} toward a portfolio, or remove it" if portfolios
                       else "the workflow has no portfolio container", path=path, role=node.role)
