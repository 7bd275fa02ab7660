"""The run: the schedule, one runner per container, the step loop, the trace hook and the ledger.

Implements `docs/semantics.md`, section 1 (Schedule) and section 9 (The ledger).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import networkx as nx
import numpy as np

from flowc.compiler.components import series_component
from flowc.compiler.contracts import has_futures, symbol_contracts
from flowc.compiler.data_symbols import source_symbols
from flowc.compiler.graph import FlowGraph
from flowc.compiler.ir import Apply, walk
from flowc.compiler.schema import Roles
from flowc.compiler.workflow import Analysis
from flowc.runtime.cross_symbols import unknown_symbols
from flowc.runtime.data import MarketData
from flowc.runtime.ledger import FILL_DTYPE, ORDER_DTYPE, UNFILLED_DTYPE, Ledger, in_order
from flowc.runtime.reference.components import COMPONENTS
from flowc.runtime.reference.execution import Execution
from flowc.runtime.reference.network import Emitted, Network
from flowc.runtime.reference.portfolio import Portfolio
from flowc.runtime.reference.risk import Risk
from flowc.runtime.reference.series import Data, Series

_Runner = Data | Series | Risk | Execution | Portfolio
_RUNNABLE = tuple(role for role in Roles if role is not Roles.BACKTEST)  # the roles with a runner here


def schedule(graph: FlowGraph) -> list[str]:
    """A topological order of the feedback-free graph, ties broken by declaration order."""
    order = {n: graph.g.nodes[n]["order"] for n in graph.nodes}
    return list(nx.lexicographical_topological_sort(graph.forward_graph(), key=order.__getitem__))


def _owners(analysis: Analysis, data: list[str], symbols: Sequence[str]) -> dict[str, list[bool]]:
    """Which symbols each data container emits BAR for (one container: all of them)."""
    if len(data) == 1:
        return {data[0]: [True] * len(symbols)}
    owned = {}
    for path in data:
        names: set[str] = set()
        for spec in analysis.binding.containers[path].config.sources:
            found = source_symbols(spec.kind, spec.args)
            if found is None:
                raise ValueError(f"the reference engine cannot tell which symbols `{path}` loads: give its "
                                 f"`{spec.kind}` source a `symbol`")
            names.update(found)
        owned[path] = [name in names for name in symbols]
    return owned


def _check(analysis: Analysis) -> None:
    if analysis.graph is None or analysis.binding is None or any(d.is_error for d in analysis.diagnostics):
        raise ValueError("the reference engine runs only a workflow that analysed without errors")
    for path in analysis.graph.nodes:
        bound = analysis.binding.containers[path]
        if bound.role not in _RUNNABLE:
            raise ValueError(f"`{path}` has the user role `{bound.role}`, which cannot run")
        for setting in bound.settings:
            for node in walk(setting.expr):
                if isinstance(node, Apply) and node.component not in COMPONENTS \
                        and series_component(node.component) is None:
                    raise ValueError(f"the reference engine has no component `{node.component}`")


Trace = Callable[[int, str, Emitted], None]
"""A trace hook: called after each container runs, with the step, the container and what it emitted."""


def run_reference(analysis: Analysis, market: MarketData, params: list[float] | None = None, *,
                  trade_from: int = 0, replays: Sequence[tuple[np.ndarray, np.ndarray]] = (),
                  trace: Trace | None = None) -> Ledger:
    """Run a workflow over market data, step by step, and return its ledger.

    Risk containers act only at steps >= `trade_from`; earlier steps warm up every state.
    `trace`, if given, sees every container's events as they are emitted (`flowc run --trace`);
    it may raise to stop the run.
    """
    _check(analysis)
    graph, binding = analysis.graph, analysis.binding
    if params is None:
        params = binding.params.vector(analysis.values)
    if problems := unknown_symbols(binding, market.symbols):
        raise ValueError(problems[0].message)
    net = Network(analysis, market, params)
    net.trade_from = trade_from
    net.replays = list(replays)  # captured signals: presence [T, S] and (direction, strength) [T, S, 2]
    order = schedule(graph)
    roles = {path: graph.role(path) for path in order}
    risks = tuple(p for p in order if roles[p] == Roles.RISK)
    executions = tuple(p for p in order if roles[p] == Roles.EXECUTION)
    portfolios = tuple(p for p in order if roles[p] == Roles.PORTFOLIO)
    data = [p for p in order if roles[p] == Roles.DATA]
    owners = _owners(analysis, data, market.symbols)
    owner = [next(k for k, path in enumerate(data) if owners[path][s]) for s in range(market.n_symbols)]
    future, multiplier, margin = symbol_contracts([binding.containers[p] for p in data], owner, params)
    net.contracts = (future.tolist(), multiplier.tolist(), margin.tolist())
    orders: list[tuple] = []
    fills: list[tuple] = []
    steps = market.n_steps
    runners: dict[str, _Runner] = {}
    for path in order:
        bound, inputs = binding.containers[path], net.inputs(path)
        role = roles[path]
        if role == Roles.DATA:
            runners[path] = Data(net, owners[path])
        elif role == Roles.RISK:
            runners[path] = Risk(net, bound, inputs, risks.index(path), orders)
        elif role == Roles.EXECUTION:
            runners[path] = Execution(net, bound, inputs, risks, orders)
        elif role == Roles.PORTFOLIO:
            runners[path] = Portfolio(net, bound, inputs, portfolios.index(path), executions, fills, orders)
        else:
            runners[path] = Series(net, bound, inputs, steps)
    for path in risks:  # `working` and `book = committed` read the executions' orders (docs/semantics.md, 6)
        runners[path].routed = [(runners[x].pending[k], runners[x].working[k]) for x in executions
                                for k, inp in enumerate(runners[x].orders) if inp.source == path]

    held = [runners[p] for p in portfolios]
    equity = np.empty((steps, len(held)))
    settled = np.empty((steps, len(held))) if has_futures([binding.containers[p] for p in data]) else None
    exposed = np.zeros(steps, bool)
    for t in range(steps):
        net.t, net.before, net.now = t, net.now, {}
        for path in order:
            net.now[path] = runners[path].step(t)
            if trace is not None:
                trace(t, path, net.now[path])
        equity[t] = [p.equity for p in held]
        if settled is not None:  # the cash moves at every close too (section 8b)
            settled[t] = [p.cash for p in held]
        exposed[t] = any(q != 0.0 for p in held for q in p.position)

    unfilled = [(s, q, x) for x, path in enumerate(executions) for s in range(market.n_symbols)
                for pending, working in zip(runners[path].pending, runners[path].working, strict=True)
                for q in (pending[s], working[s] and working[s].quantity) if q is not None]
    return Ledger(
        portfolios=portfolios, risks=risks, executions=executions,
        cash0=np.array([p.cash0 for p in held], dtype=float),
        equity=equity, exposed=exposed,
        positions=np.array([p.position for p in held], dtype=float).reshape(len(held), market.n_symbols),
        orders=in_order(np.array(orders, dtype=ORDER_DTYPE)),
        fills=np.array(fills, dtype=FILL_DTYPE),
        unfilled=np.array(unfilled, dtype=UNFILLED_DTYPE),
        signals={p: runners[p].log for p in order if roles[p] == Roles.STRATEGY},
        multiplier=multiplier, settled=settled,
    )
