"""The workflow manager's run side: from a `.flow` file to a finished run, stage by stage.

Each stage either succeeds or raises FlowError carrying its diagnostics (and
the sources to render them), so the CLI and the Python API report bad input
the same way. Timings of every stage are kept for `metrics.json`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from flowc.compiler.plan import Plan, build_plan
from flowc.compiler.workflow import Analysis, analyse
from flowc.dsl.diagnostics import Diagnostic, FlowError, has_errors
from flowc.dsl.loader import SourceSet, load
from flowc.runtime.data import MarketData, align, load_source
from flowc.runtime.ledger import Ledger


@dataclass
class Timings:
    parse: float = 0.0
    compile: float = 0.0
    jit: float = 0.0
    load: float = 0.0
    run: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 6) for k, v in self.__dict__.items()}


@dataclass
class Prepared:
    """A workflow analysed, linted and planned, with its data loaded: ready to run any parameter point."""

    analysis: Analysis
    plan: Plan
    market: MarketData
    owner: np.ndarray  # [S] index of the data container that loaded each symbol
    symlit: np.ndarray  # [S] index of each symbol among the predicates' literals, or -1
    warnings: list[Diagnostic] = field(default_factory=list)
    timings: Timings = field(default_factory=Timings)
    program: object | None = None  # the compiled Program, once compiled

    def params(self, values: dict[str, object] | None = None) -> np.ndarray:
        table = self.analysis.binding.params  # type: ignore[union-attr]
        return np.array(table.vector({**self.analysis.values, **(values or {})}), dtype=np.float64)


def _fail(diagnostics: Sequence[Diagnostic], sources: SourceSet) -> FlowError:
    return FlowError(diagnostics, sources.sources)


def analyse_file(path: str | Path, workflow: str | None = None, overrides: Sequence[str] = ()) -> Analysis:
    """Load, analyse and lint; raise FlowError if anything is an error."""
    sources = load(path)
    analysis = analyse(sources, workflow, tuple(overrides))
    diagnostics = list(analysis.diagnostics)
    if analysis.graph is not None and not has_errors(diagnostics):
        from flowc.compiler.lint import lint

        diagnostics.extend(lint(analysis))
    analysis.diagnostics = diagnostics
    if has_errors(diagnostics) or analysis.graph is None:
        raise _fail(diagnostics, sources)
    return analysis


def load_market(analysis: Analysis) -> tuple[MarketData, np.ndarray]:
    """Load every data container's sources; several make one stream aligned on the union of timestamps."""
    series, owner = [], []
    base_dir = Path(analysis.sources.main).parent
    data_nodes = [n for n in analysis.graph.nodes if analysis.graph.role(n) == "data"]  # type: ignore[union-attr]
    from flowc.compiler.plan import schedule

    order = [n for n in schedule(analysis.graph) if n in data_nodes]  # type: ignore[arg-type]
    problems: list[Diagnostic] = []
    for index, path in enumerate(order):
        config = analysis.binding.containers[path].config  # type: ignore[union-attr]
        for source in config.sources:  # type: ignore[union-attr]
            try:
                loaded = load_source(source.kind, source.args, base_dir=base_dir, span=source.span)
            except FlowError as exc:
                problems.extend(exc.diagnostics)
                continue
            series.extend(loaded)
            owner.extend([index] * len(loaded))
    if problems:
        raise _fail(problems, analysis.sources)
    try:
        market = align(series)
    except FlowError as exc:
        raise _fail(exc.diagnostics, analysis.sources) from None
    return market, np.array(owner, dtype=np.int64)


def prepare(path: str | Path, workflow: str | None = None, overrides: Sequence[str] = (), *,
            hoist: bool = True) -> Prepared:
    timings = Timings()
    start = time.perf_counter()
    analysis = analyse_file(path, workflow, overrides)
    timings.parse = time.perf_counter() - start
    start = time.perf_counter()
    plan, problems = build_plan(analysis, hoist=hoist)
    if plan is None:
        raise _fail(problems, analysis.sources)
    timings.compile = time.perf_counter() - start
    start = time.perf_counter()
    market, owner = load_market(analysis)
    timings.load = time.perf_counter() - start
    literals = analysis.binding.symbol_literals  # type: ignore[union-attr]
    symlit = np.array([literals.index(s) if s in literals else -1 for s in market.symbols], dtype=np.int64)
    warnings = [d for d in analysis.diagnostics if not d.is_error]
    return Prepared(analysis, plan, market, owner, symlit, warnings, timings)


def run_prepared(prepared: Prepared, values: dict[str, object] | None = None, *,
                 engine: str = "compiled", trade_from: int = 0) -> Ledger:
    """Run one parameter point with the compiled program (compiled on first use) or the reference.

    Risk containers act only at steps >= `trade_from` (the steps before warm up every state).
    """
    params = prepared.params(values)
    if engine == "reference":
        from flowc.runtime.reference import run_reference

        start = time.perf_counter()
        ledger = run_reference(prepared.analysis, prepared.market, list(params), trade_from=trade_from)
        prepared.timings.run = time.perf_counter() - start
        return ledger
    from flowc.runtime.executor import compile_plan, run_program

    if prepared.program is None:
        start = time.perf_counter()
        prepared.program = compile_plan(prepared.plan)
        prepared.timings.compile += time.perf_counter() - start
        start = time.perf_counter()
        _warm_up(prepared, params)
        prepared.timings.jit = time.perf_counter() - start
    start = time.perf_counter()
    ledger = run_program(prepared.program, prepared.market, prepared.owner, prepared.symlit, params,  # type: ignore
                         trade_from)
    prepared.timings.run = time.perf_counter() - start
    return ledger


def _warm_up(prepared: Prepared, params: np.ndarray) -> None:
    """Compile (or load from numba's cache) by running on the first few steps, so timings separate JIT."""
    from flowc.runtime.executor import run_program

    market = prepared.market
    head = MarketData(market.symbols, market.timestamps[:2], market.open[:2], market.high[:2], market.low[:2],
                      market.close[:2], market.volume[:2], market.present[:2])
    run_program(prepared.program, head, prepared.owner, prepared.symlit, params)  # type: ignore[arg-type]
