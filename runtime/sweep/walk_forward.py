"""Walk-forward: pick the best point on each rolling train window, run it on the test window after it.

`walk_forward train = N, test = M, step = K` (bars) makes windows `k = 0, 1, ...` with
train `[k*K, k*K + N)` and test `[k*K + N, k*K + N + M)`, as long as a test window starts
before the last bar (the last one may be shorter); with `--start`, `k*K` counts from its first
bar, and the bars before it only warm up. Where `K < M` test windows would overlap,
so each ends where the next begins (no bar is counted twice); where `K > M` the bars between
test windows are out of every test window.

Every window is run over its own steps preceded by the longest warm-up of the grid's points
(`warmup.grid_warmup`), with `trade_from` at the window's first bar, and its metrics are those
of its own bars (`windows.trim`). The train windows of every point, plus every point over all
bars (the in-sample result), go to the executor as one sweep, stored and resumable like any.
Test windows run here, one after the other, since each starts flat with the previous one's
ending equity (`windows.with_cash`), so the stitched out-of-sample equity compounds. A train
window where no point has a defined objective leaves its test window in cash.

The report puts the stitched out-of-sample metrics next to the in-sample ones: the best point
of the same grid over all bars, which is what the sweep alone would have claimed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from flowc.compiler.warmup import grid_warmup
from flowc.runtime.coarse_periods import most_bars_per_period
from flowc.runtime.manager import Prepared, run_prepared
from flowc.runtime.metrics import compute_metrics
from flowc.runtime.results import RunResult, summarise
from flowc.runtime.sweep.executor import Executor
from flowc.runtime.sweep.grid import grid, point_key
from flowc.runtime.sweep.job import Job, load
from flowc.runtime.sweep.runner import Outcome, Progress, run_tasks
from flowc.runtime.sweep.store import Store
from flowc.runtime.sweep.task import Row, Task, ranked
from flowc.runtime.sweep.windows import starting_cash, trim, with_cash
from flowc.runtime.trades import TRADE_DTYPE


@dataclass(frozen=True)
class Window:
    index: int
    train: tuple[int, int]  # steps [start, stop)
    test: tuple[int, int]


def make_windows(n_steps: int, train: int, test: int, step: int, first: int = 0) -> list[Window]:
    """The windows over the steps `[first, n_steps)` (the steps before `first` only warm up, as with `--start`)."""
    out = []
    length = min(test, step)
    start = first
    while start + train < n_steps:
        test_start = start + train
        out.append(Window(len(out), (start, test_start), (test_start, min(test_start + length, n_steps))))
        start += step
    return out


def windows_of(prepared: Prepared) -> list[Window]:
    """The windows of the workflow's `walk_forward` over the steps it trades (from `--start`, if given)."""
    wf = prepared.analysis.walk_forward or {}
    return make_windows(prepared.market.n_steps, wf["train"], wf["test"], wf["step"], prepared.trade_from)


def window_task(values: dict[str, object], window: Window, steps: tuple[int, int], warmup: int) -> Task:
    """The task of a point over `steps` of a window, preceded by up to `warmup` earlier bars."""
    a, b = steps
    start = max(0, a - warmup)
    return Task(point_key(values, [window.index, start, a, b]), values, window.index, start, b, a - start)


@dataclass
class WindowResult:
    window: Window
    chosen: dict[str, object] | None
    train: dict[str, object] | None  # the chosen point's train-window metrics
    test: dict[str, object] | None  # its test-window metrics
    equity: np.ndarray  # [test steps] total equity
    starting_cash: float
    run: RunResult | None = None  # the test window's run (None when it stayed in cash)


@dataclass
class WalkForward:
    objective: str
    params: list[str]
    warmup: int
    windows: list[WindowResult]
    in_sample: Row | None  # the best point over all bars
    out_of_sample: dict[str, object]
    timestamps: np.ndarray  # of the stitched test steps
    equity: np.ndarray
    outcome: Outcome
    rows: list[Row] = field(default_factory=list)  # every train and whole-data point, ranked


def walk_forward(prepared: Prepared, job: Job, executor: Executor, *, store: Store | None = None,
                 progress: Progress | None = None) -> WalkForward:
    analysis = prepared.analysis
    objective, params = analysis.objective, [s.param for s in analysis.sweeps]
    points = grid(analysis.sweeps)
    warmup = grid_warmup(prepared.plan, (prepared.params(v) for v in points), most_bars_per_period(prepared.market))
    windows = windows_of(prepared)
    full = [Task(point_key(v), v, trade_from=prepared.trade_from) for v in points]
    trains = [window_task(v, w, w.train, warmup) for w in windows for v in points]
    outcome = run_tasks(job, [*full, *trains], executor, store=store, progress=progress)
    by_key = {str(r["key"]): r for r in outcome.rows}
    whole = [by_key[t.key] for t in full if t.key in by_key]
    best_whole = ranked(whole, objective)
    in_sample = best_whole[0] if best_whole and best_whole[0]["status"] == "ok" else None
    results: list[WindowResult] = []
    if not outcome.interrupted:
        results = _test_windows(prepared, job, windows, points, trains, by_key, objective, warmup)
    stamps, equity, oos = _stitch(prepared, job, results)
    rows = ranked(whole, objective) + [r for w in windows for r in ranked(
        [by_key[t.key] for t in trains if t.window == w.index and t.key in by_key], objective)]
    return WalkForward(objective, params, warmup, results, in_sample, oos, stamps, equity, outcome, rows)


def _test_windows(prepared: Prepared, job: Job, windows: list[Window], points: list[dict], trains: list[Task],
                  by_key: dict[str, Row], objective: str, warmup: int) -> list[WindowResult]:
    loaded = load(job)
    results = []
    cash = None
    for w in windows:
        candidates = [by_key[t.key] for t in trains if t.window == w.index and t.key in by_key]
        best = ranked(candidates, objective)
        chosen = best[0] if best and best[0]["status"] == "ok" and best[0]["metrics"].get(objective) is not None \
            else None
        if cash is None:
            cash = starting_cash(prepared, chosen["values"] if chosen else points[0])  # type: ignore[arg-type]
        task = window_task(chosen["values"] if chosen else points[0], w, w.test, warmup)  # type: ignore[arg-type]
        if chosen is None:  # nothing to trade on: the window stays in cash
            steps = w.test[1] - w.test[0]
            results.append(WindowResult(w, None, None, None, np.full(steps, cash), cash))
            continue
        windowed = with_cash(loaded.window(task.start, task.stop), cash)
        ledger = run_prepared(windowed, task.values, engine=job.engine, trade_from=task.trade_from)
        ledger, market = trim(ledger, windowed.market, task.trade_from)
        result = summarise(prepared.analysis.name, ledger, market, loaded.periods_per_year)
        equity = ledger.equity.sum(axis=1)
        results.append(WindowResult(w, dict(chosen["values"]), dict(chosen["metrics"]), result.metrics,  # type: ignore
                                    equity, cash, result))
        cash = float(equity[-1])
    return results


def _stitch(prepared: Prepared, job: Job, results: list[WindowResult]):
    """The out-of-sample equity of every test window end to end, and its metrics (section 8a)."""
    market = prepared.market
    if not results:
        return market.timestamps[:0], np.zeros(0), {}
    stamps = np.concatenate([market.timestamps[r.window.test[0]:r.window.test[1]] for r in results])
    equity = np.concatenate([r.equity for r in results])
    trades, notional, exposed, bars, offset = [], [], [], 0, 0
    for r in results:
        a, b = r.window.test
        bars += int(market.present[a:b].sum())
        found = r.run
        offset += b - a
        if found is None:
            exposed.append(np.zeros(b - a, dtype=bool))
            continue
        shifted = found.trades.copy()  # on the stitched clock: after the earlier windows
        shifted["entry_step"] += offset - (b - a)
        shifted["exit_step"] += offset - (b - a)
        trades.append(shifted)
        notional.append(np.abs(found.ledger.fills["quantity"]) * found.ledger.fills["price"])
        exposed.append(found.ledger.exposed)
    metrics = compute_metrics(equity=equity, timestamps=stamps, cash0=results[0].starting_cash,
                              trades=np.concatenate(trades) if trades else np.zeros(0, TRADE_DTYPE),
                              fill_notional=np.concatenate(notional) if notional else np.zeros(0),
                              exposed=np.concatenate(exposed), bars=bars, steps=len(stamps),
                              n_symbols=market.n_symbols, periods_per_year=load(job).periods_per_year)
    return stamps, equity, metrics
