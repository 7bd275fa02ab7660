"""Dead-setting elimination: drop the features of a feature container that nothing reads.

A setting of a feature container is dead when no other container reads its field (in a
setting or in a route's predicate) and no later setting of its own container uses it. It is
dropped only where that leaves the container's emission unchanged: a FEATURE is emitted when
every setting ran, i.e. when the union of the settings' reads is present, so the dead
setting's reads must be covered by the others'. The last setting of a container is kept.
Dropping one may make another dead (it was only used by the first), so the pass repeats to
a fixed point.
"""

from __future__ import annotations

from flowc.compiler.ir import Input, Local, walk
from flowc.compiler.optimize.context import Context
from flowc.compiler.optimize.rewrite import with_nodes, with_settings
from flowc.compiler.plan import NodePlan, Plan
from flowc.compiler.schema import Events, Roles


def _read_fields(plan: Plan) -> set[tuple[str, str]]:
    """(container, field) of every FEATURE field some container reads, in a setting or a predicate."""
    found = set()
    for node in plan.nodes:
        exprs = [s.expr for s in node.container.settings]
        for item in node.inputs:
            for edge in item.edges:
                for guard in edge.guards or ():
                    exprs.extend((*guard.required, *guard.excluded))
        for expr in exprs:
            for e in walk(expr):
                if isinstance(e, Input) and e.event == Events.FEATURE and e.source is not None:
                    found.add((e.source, e.field))
    return found


def _prune(node: NodePlan, read: set[tuple[str, str]]) -> NodePlan:
    settings = list(node.container.settings)
    changed = True
    while changed and len(settings) > 1:
        changed = False
        for k in range(len(settings) - 1, -1, -1):
            setting = settings[k]
            if (node.path, setting.name) in read:
                continue
            others = settings[:k] + settings[k + 1:]
            if any(isinstance(e, Local) and e.name == setting.name for o in others for e in walk(o.expr)):
                continue
            if not set(setting.reads) <= set().union(*(o.reads for o in others)):
                continue
            settings = others
            changed = True
            if len(settings) == 1:
                break
    if len(settings) == len(node.container.settings):
        return node
    return with_settings(node, tuple(settings))


def run(plan: Plan, context: Context) -> Plan:
    read = _read_fields(plan)
    nodes = [_prune(n, read) if n.role == Roles.FEATURE else n for n in plan.nodes]
    if all(a is b for a, b in zip(nodes, plan.nodes, strict=True)):
        return plan
    return with_nodes(plan, nodes)
