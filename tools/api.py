"""The Python API in one call: run a workflow of a `.flow` file and get its results as pandas objects.

    from flowc.tools.api import backtest
    result = backtest("examples/simple_backtest.flow", params={"fast": 5})
    result.metrics["sharpe"], result.equity(), result.trade_table(), result.positions()

Bad input raises `FlowError` with the same diagnostics the CLI prints. `compile` stops at
any stage of the compiler's pipeline and returns every stage's output and the diagnostics:

    from flowc.tools.api import compile
    c = compile("examples/simple_backtest.flow", "optimise")
    c.ok, c.diagnostics, c.plan, c.passes, c.optimise
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flowc.compiler.pipeline import NAMES, Compilation, compile_to
from flowc.runtime.manager import prepare, run_prepared
from flowc.runtime.results import RunResult, summarise


def backtest(path: str | Path, workflow: str | None = None, params: Mapping[str, object] | None = None, *,
             engine: str = "compiled", hoist: bool = True) -> RunResult:
    """Analyse, lint, compile (or reuse the cache) and run one workflow; `params` override its params."""
    overrides = [f"{name}={_text(value)}" for name, value in (params or {}).items()]
    prepared = prepare(path, workflow, overrides, hoist=hoist)
    ledger = run_prepared(prepared, engine=engine)
    return summarise(prepared.analysis.name, ledger, prepared.market, prepared.analysis.periods_per_year)


def compile(path: str | Path, stage: str = "generate", workflow: str | None = None,
            params: Mapping[str, object] | None = None, *, hoist: bool = True) -> Compilation:
    """The compiler's pipeline up to `stage` (one of `STAGES`), or to the first stage that finds an error."""
    overrides = [f"{name}={_text(value)}" for name, value in (params or {}).items()]
    return compile_to(path, stage, workflow=workflow, overrides=overrides, hoist=hoist)


STAGES = NAMES


def _text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
