"""The layout of a plan's program, decided before any line is emitted.

Which containers run in the hoisted prefix and in which generated function (`groups`), whose
events stay in locals there (`local`), whether the step loop's containers share one loop over
the symbols (`fused`), which component counters live in locals (`registers`): data, computed
once from the plan, that the emitters only read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flowc.compiler import components as comp
from flowc.compiler.ir import Apply, Expr, Slot, walk
from flowc.compiler.plan import SERIES_ROLES, NodePlan, Plan, StatePlan
from flowc.compiler.schema import Events, Roles

PREFIX_GROUP = 8  # settings of hoisted containers per generated function at most (`_groups`)


@dataclass(frozen=True)
class Layout:
    data: tuple[str, ...]  # the data containers' paths: a symbol's `owner` indexes them
    series: tuple[NodePlan, ...]  # feature, classifier and strategy containers, in schedule order
    hoisted: tuple[NodePlan, ...]  # the series containers of the hoisted prefix
    stepped: tuple[NodePlan, ...]  # the containers of the step loop, in schedule order
    risks: tuple[NodePlan, ...]
    executions: tuple[NodePlan, ...]
    portfolios: tuple[NodePlan, ...]
    fused: bool  # the step loop's containers share one loop over the symbols (`_fusable`)
    groups: tuple[tuple[NodePlan, ...], ...]  # the hoisted containers by generated function (`_groups`)
    local: frozenset[str]  # hoisted containers whose events stay in locals of their group (`_local_outputs`)
    prefix_slots: tuple[int, ...]  # the parameter slots the hoisted prefix reads
    fill_slots: Mapping[str, tuple[int, ...]]  # per execution container, the fill slots it can set (`_fill_slots`)


def layout(plan: Plan) -> Layout:
    series = tuple(n for n in plan.nodes if n.role in SERIES_ROLES)
    hoisted = tuple(n for n in series if n.hoisted)
    stepped = tuple(n for n in plan.nodes if not n.hoisted and n.role != Roles.DATA)
    groups = _groups(hoisted)
    return Layout(
        data=tuple(n.path for n in plan.nodes if n.role == Roles.DATA),
        series=series, hoisted=hoisted, stepped=stepped,
        risks=plan.of_role(Roles.RISK), executions=plan.of_role(Roles.EXECUTION),
        portfolios=plan.of_role(Roles.PORTFOLIO),
        fused=_fusable(stepped),
        groups=tuple(tuple(g) for g in groups),
        local=frozenset(_local_outputs(plan, groups)),
        prefix_slots=tuple(sorted({i for n in hoisted for i in _slots_read(n)})),
        fill_slots={n.path: _fill_slots(plan, n) for n in plan.of_role(Roles.EXECUTION)},
    )


def registers(node: NodePlan, call: Apply | StatePlan) -> int:
    """How many counters of a component call the generated code keeps in locals: those of a step form, hoisted."""
    contract = comp.series_component(call.component)
    return contract.registers if node.hoisted and contract is not None and contract.step else 0


def counters(node: NodePlan, call: Apply | StatePlan) -> list[str]:
    return [f"c_{node.ident}_{call.instance}_{j}" for j in range(registers(node, call))]


def load_counter(call: Apply | StatePlan, j: int, row: str) -> str:
    """The expression loading counter j from the state row: an int where the contract says it is a whole number.

    The row stores every counter as a float; a count kept in an int local spares the step form a
    conversion at every bar (`_push`), and stores back as the same float.
    """
    contract = comp.series_component(call.component)
    whole = contract is not None and j < contract.counts
    return f"int({row}[{j}])" if whole else f"{row}[{j}]"


def _fill_slots(plan: Plan, node: NodePlan) -> tuple[int, ...]:
    """The fill slots an execution container can set at a step, in the order they fill.

    Slot k < K: the pending quantity of ORDER input k, filled at this bar. Slot 2K + k: the working
    limit or stop order of input k (its source has a `limit` or `stop` entry), filled at this bar.
    Slot K + k: the order input k delivers at this step, filled now; only an order with a price (its
    source has exits or a market-on-close entry) or any order in `close` mode but a market-on-open
    one can, else the slot is never set and nothing reads it.
    """
    orders = node.inputs_of(Events.ORDER)
    configs = [plan.node(item.source).container.config for item in orders]
    now = [len(orders) + k for k, c in enumerate(configs)
           if (node.container.config.fill == "close" and not c.at_open) or c.priced]
    working = [2 * len(orders) + k for k, c in enumerate(configs) if c.working]
    return (*range(len(orders)), *working, *now)


def _fusable(stepped: tuple[NodePlan, ...]) -> bool:
    """Whether the step loop's containers can share one loop over the symbols without reordering anything.

    Risk, execution and portfolio work per symbol, and the portfolio's account is updated symbol
    by symbol either way; but two risk containers (or portfolios) would interleave their orders
    (fills), a series container in the step loop may read the portfolio's feedback, and a portfolio
    with buying power applies a step's fills after the loop over the symbols (sells first).
    """
    roles = [n.role for n in stepped]
    checks_cash = any(n.role == Roles.PORTFOLIO and n.container.config.buying_power != "none" for n in stepped)
    return set(roles) <= {Roles.RISK, Roles.EXECUTION, Roles.PORTFOLIO} and roles.count(Roles.RISK) <= 1 \
        and roles.count(Roles.PORTFOLIO) <= 1 and not checks_cash


def _groups(hoisted: tuple[NodePlan, ...]) -> list[list[NodePlan]]:
    """The hoisted containers in groups of at most PREFIX_GROUP settings, one generated function each.

    numba's compile time grows faster than a function's size, so the prefix is cut into functions
    of bounded size; events between containers of one group stay in locals, so a group is a
    union of whole connected parts of the hoisted graph where these fit, in schedule order.
    A group never reads a later group's events.
    """
    part = {n.path: n.path for n in hoisted}

    def root(path: str) -> str:
        while part[path] != path:
            path = part[path]
        return path

    for node in hoisted:
        for item in node.inputs:
            for source in {item.source, *(e.source for e in item.edges)} & part.keys():
                part[root(source)] = root(node.path)  # type: ignore[arg-type]
    parts: dict[str, list[NodePlan]] = {}
    for node in hoisted:  # schedule order, within and across parts
        parts.setdefault(root(node.path), []).append(node)

    def size(nodes: list[NodePlan]) -> int:
        return sum(max(1, len(n.container.settings)) for n in nodes)

    groups: list[list[NodePlan]] = []
    for nodes in parts.values():
        if groups and size(groups[-1]) + size(nodes) <= PREFIX_GROUP:
            groups[-1] = sorted(groups[-1] + nodes, key=lambda n: n.index)
            continue
        groups.append([])
        for node in nodes:  # a part too large for one group is cut in schedule order
            if groups[-1] and size(groups[-1]) + size([node]) > PREFIX_GROUP:
                groups.append([])
            groups[-1].append(node)
    return groups


def _local_outputs(plan: Plan, groups: list[list[NodePlan]]) -> set[str]:
    """Hoisted containers whose events only their own group reads: kept in locals of the group's loop.

    A strategy's signals stay in memory for the ledger (signal capture reads them).
    """
    readers: dict[str, set[str]] = {}
    for node in plan.nodes:
        for item in node.inputs:
            for source in {item.source, *(e.source for e in item.edges)} - {None}:
                readers.setdefault(source, set()).add(node.path)  # type: ignore[arg-type]
    return {n.path for group in groups for n in group if n.role != Roles.STRATEGY
            and readers.get(n.path, set()) <= {m.path for m in group}}


def expressions(node: NodePlan) -> list[Expr]:
    """Every expression of a container's work: its settings and the guards of its inputs' routes."""
    exprs = [s.expr for s in node.container.settings]
    for item in node.inputs:
        for edge in item.edges:
            for guard in edge.guards or ():
                exprs.extend((*guard.required, *guard.excluded))
    return exprs


def _slots_read(node: NodePlan) -> set[int]:
    """Every parameter slot a container's work depends on: its settings, state sizes and input guards."""
    exprs = expressions(node)
    slots = {e.index for expr in exprs for e in walk(expr) if isinstance(e, Slot)}
    slots |= {w.index for expr in exprs for e in walk(expr) if isinstance(e, Apply) for w in e.windows}
    return slots | {s.size_slot.index for s in node.states if s.size_slot is not None}
