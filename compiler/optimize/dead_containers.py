"""Dead-container elimination: drop feature and classifier containers whose output reaches nothing that counts.

What counts is what a run records: the portfolios' books, the risk containers' orders, the
executions' unfilled orders and every strategy's signals (`--capture-signals`). A feature or
classifier container from which no route leads to one of those computes values nobody reads
(`flowc lint` warns about it); the program skips it. Data containers stay: they define the
symbols.

Why it changes no ledger: a dropped container has no route into any container that remains,
so nothing that remains reads its buffers. One consequence outside the ledger: the warm-up
kept before `--start` (`compiler.warmup.longest_warmup`, computed on the plan) no longer counts a
dropped container's windows.
"""

from __future__ import annotations

from flowc.compiler.optimize.context import Context
from flowc.compiler.optimize.rewrite import with_nodes
from flowc.compiler.plan import Plan
from flowc.compiler.schema import Roles

DROPPABLE = (Roles.FEATURE, Roles.CLASSIFIER)  # every other role is kept (data, strategy, risk, execution, portfolio)


def run(plan: Plan, context: Context) -> Plan:
    by_path = {n.path: n for n in plan.nodes}
    live = {n.path for n in plan.nodes if n.role not in DROPPABLE}
    stack = list(live)
    while stack:
        node = by_path[stack.pop()]
        for item in node.inputs:
            for edge in item.edges:
                if edge.source not in live:
                    live.add(edge.source)
                    stack.append(edge.source)
    if len(live) == len(plan.nodes):
        return plan
    return with_nodes(plan, (n for n in plan.nodes if n.path in live))
