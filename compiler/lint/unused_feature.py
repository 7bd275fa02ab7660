"""FL507: a feature that no container and no route predicate reads.

It costs a kernel per bar for nothing. A feature counts as read when a
binding read it through a FEATURE route (`binding.used_inputs`, which covers
predicates too), when a later setting of its own container uses it, or when
its FEATURE goes to a user-declared role, which may read anything.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.compiler.ir import Local, walk
from flowc.compiler.lint.facts import role_of, usage_known
from flowc.compiler.schema import TIMEFRAME, Events, Roles
from flowc.compiler.workflow import Analysis
from flowc.dsl.diagnostics import Diagnostic, diagnose


def unused_feature(analysis: Analysis) -> Iterator[Diagnostic]:
    graph, binding = analysis.graph, analysis.binding
    if graph is None or binding is None or not usage_known(analysis):
        return
    read = {(source, name) for source, event, name in binding.used_inputs if event == Events.FEATURE}
    for path in graph.of_role(Roles.FEATURE):
        if any(not getattr(role_of(analysis, e.target), "builtin", True) for e in graph.outgoing(path, Events.FEATURE)):
            continue
        bound = binding.containers[path]
        local = {node.name for s in bound.settings for node in walk(s.expr) if isinstance(node, Local)}
        for setting in graph.container(path).settings:
            if (path, setting.name) not in read and setting.name not in local and setting.name != TIMEFRAME:
                yield diagnose("FL507", setting.span,
                               "no container or route predicate reads it; use it or remove it",
                               setting=setting.name, path=path)
