"""Common sub-expressions across containers: a feature computed once, read wherever it is needed.

Two feature containers (or a feature and a strategy) that both compute `sma(close, 20)` from
the same bars make the program call the kernel twice with the same inputs and keep two
states. Here the later one reads the earlier container's feature instead: a sub-expression
`E` of a setting `S` of container `B` becomes `Input(FEATURE, A, a)` when

- `A` is a feature container scheduled before `B`, hoisted if `B` is (its values exist when
  `B` reads them), and `a` one of its settings with the same key as `E` (`rewrite.Keyer`:
  same computation on inputs delivered by the same routes, built-in components only);
- `a` runs exactly when `A` emits (`a` reads every input any setting of `A` reads), and `S`
  runs exactly when `a` runs (the same input streams): then `A`'s FEATURE is present, and
  holds `E`'s value, at every (step, symbol) where `S` evaluates `E`, and the calls, hence
  the component states, are the same ones;
- `B` has no route from `A` yet, or a plain one (no predicate): the pass adds the input
  `(FEATURE, A)` with one plain route if missing. `S` and the settings that use it now also
  read that input, which is present exactly when they ran before, so nothing runs at
  another (step, symbol).

Only sub-expressions that call a component are shared, and never inputs of PORTFOLIO
events (the position changes within a step). A container with a timeframe neither offers nor
takes: its calls see coarse bars, and its event is held between them (docs/semantics.md, 4a).
"""

from __future__ import annotations

from dataclasses import replace

from flowc.compiler.ir import Expr, Input, Replay
from flowc.compiler.optimize.context import Context
from flowc.compiler.optimize.rewrite import Keyer, applies, map_expr, streams, with_nodes, with_settings
from flowc.compiler.plan import SERIES_ROLES, EdgePlan, InputPlan, NodePlan, Plan
from flowc.compiler.schema import Events, Roles


class _Offer:
    def __init__(self, node: NodePlan, name: str, runs: frozenset):
        self.path, self.name, self.runs, self.hoisted = node.path, name, runs, node.hoisted


def _offers(node: NodePlan, context: Context, table: dict[tuple, _Offer]) -> None:
    """Register the settings of feature container `node` that others may read instead of recomputing."""
    keyer = Keyer(node, context, across=True)
    union = frozenset().union(*(s.reads for s in node.container.settings))
    for setting in node.container.settings:
        if isinstance(setting.expr, Replay) or not applies(setting.expr) or setting.reads != union:
            continue
        key = keyer.local(setting.name)
        if key is not None:
            table.setdefault(key, _Offer(node, setting.name, streams(node, setting.reads)))


def _share(node: NodePlan, context: Context, table: dict[tuple, _Offer]) -> NodePlan:
    keyer = Keyer(node, context, across=True)
    plain = {}  # source -> the plain route the new input uses
    settings = []
    for setting in node.container.settings:
        if isinstance(setting.expr, Replay):
            settings.append(setting)
            continue
        runs = streams(node, setting.reads)

        def read(e: Expr, setting=setting, runs=runs) -> Expr | None:
            if not applies(e):
                return None
            offer = table.get(keyer.key(e, setting.name))  # type: ignore[arg-type]
            if offer is None or offer.path == node.path or (node.hoisted and not offer.hoisted):
                return None
            if offer.runs != runs:
                return None
            existing = next((i for i in node.inputs if (i.event, i.source) == (Events.FEATURE, offer.path)), None)
            route = (EdgePlan(offer.path, None, False),)
            if existing is not None and existing.edges != route:
                return None
            plain[offer.path] = existing is None
            return Input(Events.FEATURE, offer.path, offer.name)

        expr = map_expr(setting.expr, read)
        settings.append(setting if expr == setting.expr else replace(setting, expr=expr))
    if not plain:
        return node
    added = tuple(InputPlan(Events.FEATURE, path, (EdgePlan(path, None, False),)) for path, new in plain.items() if new)
    return with_settings(replace(node, inputs=node.inputs + added), tuple(settings))


def run(plan: Plan, context: Context) -> Plan:
    table: dict[tuple, _Offer] = {}
    nodes = []
    for node in plan.nodes:
        if node.container.timeframe is not None:
            nodes.append(node)
            continue
        if node.role in SERIES_ROLES:
            node = _share(node, context, table)
        if node.role == Roles.FEATURE:
            _offers(node, context, table)
        nodes.append(node)
    if all(a is b for a, b in zip(nodes, plan.nodes, strict=True)):
        return plan
    return with_nodes(plan, nodes)
