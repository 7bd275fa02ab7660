"""One point run and turned into a row: its values, metrics, status and error. Never raises for a point.

Executors run chunks of points (`batch.run_chunk`, one jitted call per chunk); a point runs
here, through Python, with the reference engine, and when a batch raises, to find the point
that did. The job is prepared once per process
(`job.load`) and periods per year are inferred once per job. A point whose run raises becomes
a row with status `failed` and the message.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from flowc.dsl.diagnostics import FlowError
from flowc.runtime.manager import run_prepared
from flowc.runtime.metrics import rank
from flowc.runtime.results import RunResult, summarise
from flowc.runtime.sweep.job import Loaded
from flowc.runtime.sweep.windows import trim

Row = dict[str, object]  # key, values, window, metrics, status, error, seconds


@dataclass(frozen=True)
class Task:
    """One point to run: its key, its values, and for a walk-forward window its steps."""

    key: str
    values: dict[str, object]
    window: int | None = None  # the walk-forward window's number, None for the whole data
    start: int = 0  # the steps `[start, stop)` to run, and the first step that may trade
    stop: int = -1
    trade_from: int = 0


def ranked(rows: Sequence[Row], objective: str) -> list[Row]:
    """Rows best first by the objective; failed points after every finished one, in their own order."""
    ok = [r for r in rows if r["status"] == "ok"]
    failed = [r for r in rows if r["status"] != "ok"]
    return [ok[i] for i in rank([r["metrics"] for r in ok], objective)] + failed  # type: ignore[misc]


def message(exc: BaseException) -> str:
    """A point's error in words: the diagnostics of a FlowError, else the exception's type and text."""
    if isinstance(exc, FlowError):
        return "; ".join(f"{d.code} {d.message}" for d in exc.diagnostics) or "FlowError"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def run_result(loaded: Loaded, task: Task, engine: str = "compiled") -> RunResult:
    """The result of one task over its steps, warm-up steps trimmed off."""
    prepared = loaded.prepared
    stop = task.stop if task.stop >= 0 else prepared.market.n_steps
    windowed = loaded.window(task.start, stop)
    ledger = run_prepared(windowed, task.values, engine=engine, trade_from=task.trade_from)
    ledger, market = trim(ledger, windowed.market, task.trade_from)
    return summarise(prepared.analysis.name, ledger, market, loaded.periods_per_year)


def run_task(loaded: Loaded, task: Task, engine: str = "compiled") -> Row:
    start = time.perf_counter()
    try:
        metrics = run_result(loaded, task, engine).metrics
        status, error = "ok", None
    except Exception as exc:
        metrics, status, error = {}, "failed", message(exc)
    return row(task, metrics, status, error, time.perf_counter() - start)


def row(task: Task, metrics: dict, status: str, error: str | None, seconds: float = 0.0) -> Row:
    return {"key": task.key, "values": task.values, "window": task.window, "metrics": metrics,
            "status": status, "error": error, "seconds": round(seconds, 6)}
