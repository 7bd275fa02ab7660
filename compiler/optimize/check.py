"""The invariants of a plan that code generation relies on, checked after every pass.

Cheap (one walk over the settings), so it always runs: a pass that breaks one fails at that
pass with an AssertionError (a bug, never a diagnostic) instead of generating a program that
reads a buffer nobody fills.
"""

from __future__ import annotations

from flowc.compiler.ir import Input, Local, walk
from flowc.compiler.optimize.rewrite import applies
from flowc.compiler.plan import SERIES_ROLES, Plan
from flowc.compiler.schema import Events, Roles


def check(plan: Plan, after: str) -> None:
    def fail(message: str) -> None:
        raise AssertionError(f"plan invariant broken after {after}: {message}")

    by_path = {n.path: n for n in plan.nodes}
    if len(by_path) != len(plan.nodes):
        fail("two nodes share a path")
    indexes = [n.index for n in plan.nodes]
    if indexes != sorted(indexes) or len(set(n.ident for n in plan.nodes)) != len(plan.nodes):
        fail("nodes out of schedule order, or two share an identifier")
    position = {n.path: k for k, n in enumerate(plan.nodes)}
    for node in plan.nodes:
        for item in node.inputs:
            for edge in item.edges:
                source = by_path.get(edge.source)
                if source is None:
                    fail(f"`{node.path}` has a route from `{edge.source}`, which is not in the plan")
                if not edge.feedback and position[edge.source] >= position[node.path]:
                    fail(f"`{node.path}` reads `{edge.source}`, which runs after it")
                if node.hoisted and (edge.feedback or not (source.hoisted or source.role == Roles.DATA)):
                    fail(f"`{node.path}` is hoisted but reads `{edge.source}` from the step loop")
        if node.role not in SERIES_ROLES:
            continue
        keys = {(i.event, i.source) for i in node.inputs if not any(e.feedback for e in i.edges)}
        seen: set[str] = set()
        for setting in node.container.settings:
            missing = set(setting.reads) - keys
            if missing:
                fail(f"`{node.path}.{setting.name}` reads {sorted(missing, key=str)}, which are not inputs")
            for e in walk(setting.expr):
                if isinstance(e, Local) and e.name not in seen:
                    fail(f"`{node.path}.{setting.name}` uses `{e.name}`, not an earlier setting")
                if isinstance(e, Input) and e.event in (Events.FEATURE, Events.REGIME):
                    source = by_path.get(e.source)  # type: ignore[arg-type]
                    if source is None or e.field not in source.fields:
                        fail(f"`{node.path}.{setting.name}` reads `{e.source}.{e.field}`, which no node emits")
                    if position[e.source] >= position[node.path]:  # type: ignore[index]
                        fail(f"`{node.path}.{setting.name}` reads `{e.source}`, which runs after it")
            seen.add(setting.name)
        if node.role == Roles.FEATURE and node.fields != tuple(s.name for s in node.container.settings):
            fail(f"the fields of `{node.path}` are not its settings")
        instances = [a.instance for s in node.container.settings for a in applies(s.expr)]
        if sorted(instances) != sorted(s.instance for s in node.states) or len(set(instances)) != len(instances):
            fail(f"the component states of `{node.path}` do not match its calls")
