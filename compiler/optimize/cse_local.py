"""Common sub-expressions within a container: reuse an earlier setting instead of computing it again.

`a = sma(close, 20)` then `b = (close - sma(close, 20)) / a`: the second `sma` becomes `a`
(a `Local`), and its state and its calls go away. A sub-expression `E` of a setting `S` may
read an earlier setting `A` of the same container when their keys are equal (`rewrite.Keyer`)
and `A` has run whenever `S` evaluates `E`:

- if `E` calls no component, equal keys mean equal inputs, so `A`'s reads are among `S`'s and
  `A` ran whenever `S` runs;
- if `E` calls a component, its state counts the calls, so `A` and `S` must run at exactly
  the same (step, symbol): the same reads.

Only sub-expressions that call a component are rewritten (the rest costs less than reading a
variable would save), and only built-in components (a plugin may not be pure).
"""

from __future__ import annotations

from dataclasses import replace

from flowc.compiler.ir import Expr, Local, Replay
from flowc.compiler.optimize.context import Context
from flowc.compiler.optimize.rewrite import Keyer, applies, map_expr, with_nodes, with_settings
from flowc.compiler.plan import SERIES_ROLES, NodePlan, Plan


def _node(node: NodePlan, context: Context) -> NodePlan:
    keyer = Keyer(node, context, across=False)
    earlier: dict[tuple, tuple[str, frozenset]] = {}
    settings = []
    changed = False
    for setting in node.container.settings:
        if isinstance(setting.expr, Replay):
            settings.append(setting)
            continue

        def reuse(e: Expr, setting=setting) -> Expr | None:
            if not applies(e):
                return None
            found = earlier.get(keyer.key(e, setting.name))  # type: ignore[arg-type]
            if found is None:
                return None
            name, needs = found
            if needs != setting.reads:
                return None
            return Local(name)

        expr = map_expr(setting.expr, reuse)
        if expr != setting.expr:
            changed = True
            setting = replace(setting, expr=expr)
        settings.append(setting)
        key = keyer.local(setting.name)  # the key of its original expression
        if key is not None and key not in earlier:
            earlier[key] = (setting.name, setting.reads)
    if not changed:
        return node
    return with_settings(node, tuple(settings))


def run(plan: Plan, context: Context) -> Plan:
    nodes = [_node(n, context) if n.role in SERIES_ROLES else n for n in plan.nodes]
    if all(a is b for a, b in zip(nodes, plan.nodes, strict=True)):
        return plan
    return with_nodes(plan, nodes)
