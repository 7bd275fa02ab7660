"""FL307: a container of a user-declared role, which has no run-time behaviour in version 1.

Such a topology is valid for `flowc lint` and `flowc graph`, so this pass is
not in the lint pipeline by default: `flowc run` (and `compile --emit
plan|py`) add it, and `flowc lint --select FL307` asks for it.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.compiler.lint.facts import role_of
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
