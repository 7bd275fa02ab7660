"""The plan: the static schedule and the wiring of every container, as plain data.

From the validated graph and binding: the containers in schedule order (a
topological order of the feedback-free graph, ties by declaration order),
which of them are hoisted (run as whole-array loops before the step loop),
each container's inputs and the routes that feed them, its component state
instances, and the parameter-vector layout. Its `structure()` text holds no
number and no string from the `.flow` file, so its hash keys the compile
cache and one compilation serves every point of a sweep.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import networkx as nx

from flowc.compiler import components as comp
from flowc.compiler.graph import FlowGraph
from flowc.compiler.ir import Apply, BoundContainer, BoundGuard, CrossInput, CrossSection, Slot, walk
from flowc.compiler.schema import Events, Roles
from flowc.compiler.workflow import Analysis
from flowc.dsl.diagnostics import Diagnostic, diagnose

SERIES_ROLES = (Roles.FEATURE, Roles.CLASSIFIER, Roles.STRATEGY)


@dataclass(frozen=True)
class EdgePlan:
    source: str
    guards: tuple[BoundGuard, ...] | None
    feedback: bool


@dataclass(frozen=True)
class InputPlan:
    """One input of a container: an event from one source (BAR merges every data source)."""

    event: str
    source: str | None
    edges: tuple[EdgePlan, ...]


@dataclass(frozen=True)
class StatePlan:
    """The state of one component call: `[S, size]` floats, size from a window argument."""

    instance: int
    component: str
    size_slot: Slot | None
    size_extra: int
    size_per: int = 1  # size = size_per * int(params[size_slot]) + size_extra


@dataclass(frozen=True)
class NodePlan:
    index: int
    path: str
    ident: str  # a safe Python identifier for generated code: n<index>_<name>
    role: str
    hoisted: bool
    inputs: tuple[InputPlan, ...]
    container: BoundContainer
    fields: tuple[str, ...]  # the output event's fields
    states: tuple[StatePlan, ...]

    def input(self, event: str, source: str | None = None) -> InputPlan | None:
        return next((i for i in self.inputs if i.event == event and (source is None or i.source == source)), None)

    def inputs_of(self, event: str) -> tuple[InputPlan, ...]:
        return tuple(i for i in self.inputs if i.event == event)


@dataclass(frozen=True)
class Plan:
    workflow: str
    nodes: tuple[NodePlan, ...]  # schedule order
    param_names: tuple[str | None, ...]  # per slot: the param it holds, or None for a literal
    n_symbol_literals: int
    hoist: bool

    def node(self, path: str) -> NodePlan:
        return next(n for n in self.nodes if n.path == path)

    def of_role(self, role: str) -> tuple[NodePlan, ...]:
        return tuple(n for n in self.nodes if n.role == role)

    def structure(self) -> str:
        """A stable text of everything that shapes the generated code, and nothing else."""
        lines = [f"plan hoist={self.hoist} slots={len(self.param_names)} symbol_literals={self.n_symbol_literals}"]
        for n in self.nodes:
            lines.append(f"node {n.index} {n.ident} role={n.role} hoisted={n.hoisted} fields={list(n.fields)}")
            for i in n.inputs:
                edges = [(e.source, e.feedback, e.guards) for e in i.edges]
                lines.append(f"  input {i.event} from={i.source} edges={edges}")
            for s in n.states:
                lines.append(f"  state {s.instance} {s.component} size=({s.size_slot}, {s.size_extra})")
            if n.container.timeframe is not None:
                lines.append(f"  timeframe {n.container.timeframe}")
            for setting in n.container.settings:
                lines.append(f"  setting {setting.name} = {setting.expr}")
            if n.role not in SERIES_ROLES and n.role != Roles.DATA:
                lines.append(f"  config {n.container.config}")
            elif n.role == Roles.DATA and n.container.config.contract is not None:  # type: ignore[union-attr]
                lines.append(f"  contract {n.container.config.contract}")  # type: ignore[union-attr]
        return "\n".join(lines) + "\n"

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.structure().encode()).hexdigest()[:20]


def schedule(graph: FlowGraph) -> list[str]:
    """Topological order of the feedback-free graph, ties broken by declaration order."""
    order = {n: graph.g.nodes[n]["order"] for n in graph.nodes}
    return list(nx.lexicographical_topological_sort(graph.forward_graph(), key=order.__getitem__))


def hoistable(graph: FlowGraph) -> set[str]:
    """Series containers that no feedback route reaches: they can run as whole arrays up front."""
    dag = graph.forward_graph()
    fed = {e.target for e in graph.edges() if e.feedback}
    tainted = set(fed)
    for node in fed:
        tainted |= nx.descendants(dag, node)
    return {n for n in graph.nodes if graph.role(n) in (Roles.DATA, *SERIES_ROLES) and n not in tainted}


def across_symbols(graph: FlowGraph, containers: dict[str, BoundContainer]) -> set[str]:
    """Series containers that read another symbol's FEATURE or REGIME (`name@SYMBOL`) or compute across
    the symbols (`cs_rank`, `top`, ...), and what they reach.

    The hoisted prefix runs each symbol over a tile of steps before the next symbol, so another
    symbol's event of this step may not exist yet there: these run in the step loop, where each
    container runs for every symbol before the next container (docs/semantics.md, section 1).
    A BAR field at another symbol is in the market arrays from the start and needs no such care.
    """
    readers = {path for path, bound in containers.items() for s in bound.settings for e in walk(s.expr)
               if (isinstance(e, CrossInput) and e.event != Events.BAR) or isinstance(e, CrossSection)}
    dag = graph.forward_graph()
    for path in list(readers):
        readers |= nx.descendants(dag, path)
    return readers


def build_plan(analysis: Analysis, *, hoist: bool = True) -> tuple[Plan | None, list[Diagnostic]]:
    """The planner's plan after every optimisation pass (the pipeline's `plan` and `optimise` stages)."""
    plan, problems = plan_of(analysis, hoist=hoist)
    if plan is None:
        return None, problems
    from flowc.compiler.optimize import optimize  # the optimisation passes (compiler/optimize)

    return optimize(plan, analysis), []


def plan_of(analysis: Analysis, *, hoist: bool = True) -> tuple[Plan | None, list[Diagnostic]]:
    """The planner's plan (before any optimisation pass), or why the workflow cannot run."""
    graph, binding = analysis.graph, analysis.binding
    assert graph is not None and binding is not None
    problems = unrunnable(analysis)
    if problems:
        return None, problems
    try:
        order = schedule(graph)
    except nx.NetworkXUnfeasible:
        return None, [diagnose("FL401", None, "`flowc lint` prints the cycle",
                               detail="the topology has a cycle with no feedback route")]
    up_front = hoistable(graph) - across_symbols(graph, binding.containers) if hoist else set()
    nodes = []
    for index, path in enumerate(order):
        bound = binding.containers[path]
        nodes.append(NodePlan(
            index=index, path=path, ident=f"n{index}_{path.replace('.', '_')}", role=graph.role(path),
            hoisted=path in up_front, inputs=_inputs(graph, binding, path), container=bound,
            fields=_fields(bound), states=_states(bound)))
    return Plan(analysis.name, tuple(nodes), tuple(name for name, _ in binding.params.slots),
                len(binding.symbol_literals), hoist), []


def unrunnable(analysis: Analysis) -> list[Diagnostic]:
    """Why version 1 cannot run this workflow, if it cannot: the one place that decides.

    No portfolio (FL304), and FL307 from the lint pass `role_not_runnable`, which
    `flowc lint --select FL307` runs too, so both report the same message at the same place.
    """
    from flowc.compiler.lint.role_not_runnable import role_not_runnable

    graph = analysis.graph
    assert graph is not None
    problems = []
    if not graph.of_role(Roles.PORTFOLIO):
        problems.append(diagnose(
            "FL304", None, "add e.g. `portfolio: portfolio { cash = 1_000_000 }` and route FILL to it",
            detail="the workflow has no portfolio container, so a run has nothing to account"))
    problems.extend(role_not_runnable(analysis))
    return problems


def _inputs(graph: FlowGraph, binding, path: str) -> tuple[InputPlan, ...]:
    groups: dict[tuple[str, str | None], list[EdgePlan]] = {}
    for edge in graph.incoming(path):
        source = None if edge.event == Events.BAR else edge.source
        guards = binding.guards.get((edge.source, path, edge.event, edge.feedback)) if edge.guards else None
        groups.setdefault((edge.event, source), []).append(EdgePlan(edge.source, guards, edge.feedback))
    return tuple(InputPlan(event, source, tuple(edges)) for (event, source), edges in groups.items())


def _fields(bound: BoundContainer) -> tuple[str, ...]:
    if bound.role == Roles.FEATURE:
        return tuple(s.name for s in bound.settings)
    if bound.role == Roles.CLASSIFIER:
        return tuple(s.name for s in bound.settings[:1])
    if bound.role == Roles.STRATEGY:
        return ("direction", "strength")
    return ()


def _states(bound: BoundContainer) -> tuple[StatePlan, ...]:
    states = []
    for setting in bound.settings:
        for node in walk(setting.expr):
            if isinstance(node, Apply):
                component = comp.lookup(bound.role, setting.name, node.component)
                assert component is not None
                fixed = [a.name for a in component.args if a.kind is not comp.Kind.SERIES]
                slot = node.windows[fixed.index(component.state.arg)] if component.state.arg else None
                states.append(StatePlan(node.instance, node.component, slot, component.state.extra,
                                                  component.state.per))
    return tuple(sorted(states, key=lambda s: s.instance))
