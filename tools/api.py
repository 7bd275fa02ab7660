"""The Python API: run a workflow of a `.flow` file (or of `.flow` text) and get its results as pandas objects.

    from flowc.tools.api import backtest
    bt = backtest("examples/simple_backtest.flow", params={"fast": 5}, start="2010-01-01")
    bt.stats["sharpe"], bt.equity, bt.trades, bt.orders, bt.fills, bt.positions, bt.plot()

`data` maps a symbol of the workflow's sources to a pandas DataFrame of its bars (or to a CSV or
Parquet file), exactly as `flowc run --data SYMBOL=PATH` does (docs/api.md). Bad input raises
`FlowError` with the same diagnostics the CLI prints; a `data` symbol no source has, or a
`start`/`end` outside the data, raises `RunOptionError` (a ValueError). `compile` stops at any
stage of the compiler's pipeline and returns every stage's output and the diagnostics:

    from flowc.tools.api import compile
    c = compile("examples/simple_backtest.flow", "optimise")
    c.ok, c.diagnostics, c.plan, c.passes, c.optimise
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from flowc.compiler.pipeline import NAMES, Compilation, compile_to
from flowc.dsl.diagnostics import FlowError
from flowc.dsl.loader import SourceSet, load_text
from flowc.runtime.manager import prepare
from flowc.tools.notebook import Backtest, WalkForwardResult

if TYPE_CHECKING:
    import pandas as pd

    from flowc.runtime.manager import Prepared
    from flowc.runtime.sweep.job import Job

TEXT_NAME = "<flow text>"  # how diagnostics name a workflow given as text; its relative paths start at the cwd


def backtest(source: str | Path, workflow: str | None = None, params: Mapping[str, object] | None = None, *,
             data: Mapping[str, object] | pd.DataFrame | None = None, start: str | None = None, end: str | None = None,
             engine: str = "compiled", hoist: bool = True) -> Backtest:
    """Analyse, lint, compile (or reuse the cache) and run one workflow.

    `source` is a path or the text of a `.flow` file (text is anything holding a newline);
    `params` override its params; `data` replaces symbols' bars (a dict of DataFrames or file paths,
    or one long DataFrame with a `symbol` column);
    `start` and `end` cut the run to those dates (both included; the warm-up before `start` is
    kept, as with `flowc run --start`); `engine` is `compiled`, `reference` or `auto`.
    """
    from flowc.tools.commands.run import run_once

    overrides = [f"{name}={_text(value)}" for name, value in (params or {}).items()]
    prepared = prepare(_source(source), workflow, overrides, hoist=hoist, data=_data(data), start=_when(start),
                       end=_when(end))
    return Backtest(run_once(prepared, engine=engine), prepared)


def compile(source: str | Path, stage: str = "generate", workflow: str | None = None,
            params: Mapping[str, object] | None = None, *, hoist: bool = True) -> Compilation:
    """The compiler's pipeline up to `stage` (one of `STAGES`), or to the first stage that finds an error."""
    overrides = [f"{name}={_text(value)}" for name, value in (params or {}).items()]
    return compile_to(_source(source), stage, workflow=workflow, overrides=overrides, hoist=hoist)


def sweep(source: str | Path, grid: Mapping[str, Sequence[object]] | None = None, workflow: str | None = None,
          params: Mapping[str, object] | None = None, *, data: Mapping[str, object] | pd.DataFrame | None = None,
          start: str | None = None, end: str | None = None, engine: str = "compiled", hoist: bool = True,
          executor: str = "inline", workers: int | None = None) -> pd.DataFrame:
    """Every point of `grid` (param -> values; default: the workflow's own `sweep` statements), one
    compilation for all, as a DataFrame ranked by the workflow's objective: one column per swept
    param, one per metric, then `status` and `error` (the columns of `sweep.csv`).

    Params not in the grid keep their values (`params` overrides them for every point). Points run
    in this process (`executor="inline"`) or on `process`, `dask`, `dask://HOST:PORT` as with
    `flowc run --executor`; a workflow given as text or with DataFrames runs inline or on forked
    local processes only, since other workers could not load it again.
    """
    from flowc.compiler.scope import param_values
    from flowc.runtime.sweep.executor import make_executor
    from flowc.runtime.sweep.grid import point_key
    from flowc.runtime.sweep.runner import run_tasks
    from flowc.runtime.sweep.task import Task, ranked
    from flowc.tools.sweeps.tables import frame

    overrides = [f"{name}={_text(value)}" for name, value in (params or {}).items()]
    loaded, data = _source(source), _data(data)
    prepared = prepare(loaded, workflow, overrides, hoist=hoist, data=data, start=_when(start), end=_when(end))
    analysis = prepared.analysis
    if analysis.walk_forward:
        raise ValueError(f"workflow `{analysis.name}` is a walk-forward; the API sweeps plain grids only: "
                         "run it with `flowc run`")
    axes = {s.param: list(s.values) for s in analysis.sweeps} if grid is None else {k: list(v) for k, v in grid.items()}
    points = []
    for combo in itertools.product(*axes.values()):
        values, problems = param_values(analysis.scope, [f"{k}={_text(v)}" for k, v in zip(axes, combo, strict=True)])
        if problems:
            raise FlowError(problems, analysis.sources.sources)
        points.append({k: values[k] for k in axes})
    job = _job(prepared, loaded, workflow, overrides, hoist, engine, data, start, end, executor)
    tasks = [Task(point_key(values), values, trade_from=prepared.trade_from) for values in points]
    runner = make_executor(executor, workers)
    try:
        outcome = run_tasks(job, tasks, runner)
    finally:
        runner.close()
    if outcome.interrupted:
        raise KeyboardInterrupt
    return frame(ranked(outcome.rows, analysis.objective), list(axes)).reset_index(drop=True)


def walk_forward(source: str | Path, workflow: str | None = None, params: Mapping[str, object] | None = None, *,
                 data: Mapping[str, object] | pd.DataFrame | None = None, start: str | None = None,
                 end: str | None = None, engine: str = "compiled", hoist: bool = True, executor: str = "inline",
                 workers: int | None = None) -> WalkForwardResult:
    """The walk-forward a workflow declares (`walk_forward train = N, test = M` with its sweeps), as
    `flowc run` runs it: per window, the sweep's best point on the train bars by the objective, run
    on the test bars after them; the test windows stitched into one out-of-sample run. Takes the
    options of `sweep`; returns a `WalkForwardResult` of DataFrames (docs/api.md)."""
    from flowc.runtime.sweep.executor import make_executor
    from flowc.runtime.sweep.walk_forward import walk_forward as run_walk_forward
    from flowc.tools.commands.walk_forward import summary

    overrides = [f"{name}={_text(value)}" for name, value in (params or {}).items()]
    loaded, data = _source(source), _data(data)
    prepared = prepare(loaded, workflow, overrides, hoist=hoist, data=data, start=_when(start), end=_when(end))
    if not prepared.analysis.walk_forward:
        raise ValueError(f"workflow `{prepared.analysis.name}` declares no `walk_forward`; "
                         "`sweep` runs a plain grid")
    job = _job(prepared, loaded, workflow, overrides, hoist, engine, data, start, end, executor)
    runner = make_executor(executor, workers)
    try:
        result = run_walk_forward(prepared, job, runner)
    finally:
        runner.close()
    if result.outcome.interrupted:
        raise KeyboardInterrupt
    return WalkForwardResult.of(result, summary(result, prepared))


def _job(prepared: Prepared, loaded: str | Path | SourceSet, workflow: str | None, overrides: list[str], hoist: bool,
         engine: str, data: Mapping[str, object] | None, start: object, end: object, executor: str) -> Job:
    """The sweep job of a prepared workflow; one given as text or with DataFrames runs in this process or
    on forked workers only, which inherit it (other workers could not load it again)."""
    from flowc.runtime.sweep.job import make_job

    in_memory = isinstance(loaded, SourceSet) or any(not isinstance(v, (str, Path)) for v in (data or {}).values())
    if in_memory and executor not in ("inline", "process"):
        raise ValueError(f"executor {executor!r}: a workflow given as text or with DataFrames runs inline or on "
                         "`process` workers only")
    files = None if in_memory else data
    return make_job(prepared, TEXT_NAME if isinstance(loaded, SourceSet) else loaded, workflow, overrides,
                    hoist=hoist, engine=engine, data=files, start=_when(start), end=_when(end))  # type: ignore[arg-type]


STAGES = NAMES


def _source(source: str | Path) -> str | Path | SourceSet:
    """A path as it is; `.flow` text loaded as the file `TEXT_NAME` of the working directory."""
    if isinstance(source, str) and "\n" in source:
        return load_text(source, TEXT_NAME)
    return source


def _data(data: object) -> Mapping[str, object] | None:
    """`data` as `prepare` takes it: a long DataFrame (a `symbol` column) split into one frame per symbol."""
    from flowc.runtime.data_frames import is_frame, split_long

    return split_long(data) if is_frame(data) else data  # type: ignore[return-value]


def _when(value: object) -> str | None:
    """A date as `--start`/`--end` take it: text, or a pandas Timestamp, datetime or date."""
    if value is None or isinstance(value, str):
        return value
    isoformat = getattr(value, "isoformat", None)
    if isoformat is None:
        raise TypeError(f"start/end: expected a date (text, datetime or Timestamp), got {type(value).__name__}")
    return str(isoformat())


def _text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
