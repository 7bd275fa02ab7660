"""Dead-route elimination: drop the inputs of series containers that no setting reads.

`broadcast data -> strategy, risk, execution, portfolio : BAR` delivers BAR to a strategy
whose signal reads only features. A series container runs a setting when the inputs it reads
are present and emits when every setting ran (docs/semantics.md, section 4), so an input no
setting reads changes nothing: the generated program stops testing its presence, and a
container that only had such a route from the step loop (or a feedback route) may now be
hoisted (`hoist_more`). Inputs of risk, execution and portfolio containers are all used by
their roles and stay.
"""

from __future__ import annotations

from dataclasses import replace

from flowc.compiler.optimize.context import Context
from flowc.compiler.optimize.rewrite import inputs_of, with_nodes
from flowc.compiler.plan import SERIES_ROLES, NodePlan, Plan


def _node(node: NodePlan) -> NodePlan:
    used = set().union(*(s.reads for s in node.container.settings)) if node.container.settings else set()
    used |= {(e.event, e.source) for s in node.container.settings for e in inputs_of(s.expr)}
    inputs = tuple(i for i in node.inputs if (i.event, i.source) in used)
    return node if len(inputs) == len(node.inputs) else replace(node, inputs=inputs)


def run(plan: Plan, context: Context) -> Plan:
    nodes = [_node(n) if n.role in SERIES_ROLES else n for n in plan.nodes]
    if all(a is b for a, b in zip(nodes, plan.nodes, strict=True)):
        return plan
    return with_nodes(plan, nodes)
