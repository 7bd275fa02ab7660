"""FL306: a risk container that receives PORTFOLIO from several portfolios.

A risk container reads one equity and one drawdown (spec section 6, item 5);
with two portfolios feeding it, which one it sizes against would depend on
arrival order, and nothing may.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.compiler.schema import Events, Roles
from flowc.compiler.workflow import Analysis
from flowc.dsl.diagnostics import Diagnostic, diagnose


def several_portfolios(analysis: Analysis) -> Iterator[Diagnostic]:
    graph = analysis.graph
    if graph is None:
        return
    for path in graph.of_role(Roles.RISK):
        routes = graph.incoming(path, Events.PORTFOLIO)
        sources = list(dict.fromkeys(e.source for e in routes))
        if len(sources) > 1:
            second = next(e for e in routes if e.source == sources[1])
            yield diagnose("FL306", second.origins[0],
                           "a risk container sizes against one portfolio; route PORTFOLIO to it from one",
                           detail=f"`{path}` receives PORTFOLIO from {len(sources)} portfolios: "
                                  + ", ".join(f"`{s}`" for s in sources))
