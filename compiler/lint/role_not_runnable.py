"""FL307: what version 1 can check and draw but not run.

A container of a user-declared role, a feedback route of any event but
PORTFOLIO, a `when` predicate on a FILL route. Such a topology is valid for
`flowc lint` and `flowc graph`, so this pass is not in the lint pipeline by
default: the planner calls it (`plan.unrunnable`, the one place that decides
whether a workflow can run, so `flowc run` and `compile --emit plan|py` say the
same), and `flowc lint --select FL307` asks for it.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.compiler.lint.facts import role_of
from flowc.compiler.schema import Events
from flowc.compiler.workflow import Analysis
from flowc.dsl.diagnostics import Diagnostic, diagnose


def role_not_runnable(analysis: Analysis) -> Iterator[Diagnostic]:
    graph = analysis.graph
    if graph is None:
        return
    for path in graph.nodes:
        role = role_of(analysis, path)
        if role is not None and not role.builtin:
            node = graph.container(path)
            yield diagnose("FL307", node.role_span,
                           "user roles can be linted and graphed; a run needs the built-in roles",
                           detail=f"`{path}` has the user-declared role `{role.name}`, which cannot run in "
                                  "version 1")
    for e in graph.edges():
        if e.feedback and e.event != Events.PORTFOLIO:
            yield diagnose("FL307", e.origins[0],
                           detail=f"a feedback route of {e.event} (`{e.source} -> {e.target}`) cannot "
                                  "run in version 1; only PORTFOLIO feeds back")
        if e.guards is not None and e.event == Events.FILL:
            yield diagnose("FL307", e.origins[0], detail="a `when` predicate on FILL routes cannot run in version 1")
