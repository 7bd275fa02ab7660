"""The walk-forward path of `flowc run`: its windows on an executor, then its files, tables and exit code.

The work is in `flowc.runtime.sweep.walk_forward`; this module shows and writes what it found:
`walk_forward.json`, `oos_equity.csv` and the sweep tables of every train point.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from flowc.runtime.files import write_text
from flowc.runtime.manager import Prepared
from flowc.runtime.results import format_stamps, stamp_unit
from flowc.runtime.sweep.executor import Executor
from flowc.runtime.sweep.grid import grid
from flowc.runtime.sweep.job import Job
from flowc.runtime.sweep.store import Store
from flowc.runtime.sweep.walk_forward import WalkForward, walk_forward, windows_of
from flowc.tools.sweeps.progress import SweepProgress
from flowc.tools.sweeps.tables import frame, parquet_note, write_tables


def _iso(timestamps: np.ndarray, i: int) -> str:
    stamp = timestamps[i] if timestamps.dtype.kind == "M" else np.datetime64(int(timestamps[i]), "ns")
    return str(stamp.astype("datetime64[s]"))


def summary(result: WalkForward, prepared: Prepared) -> dict[str, object]:
    stamps = prepared.market.timestamps
    windows = []
    for r in result.windows:
        (a, b), (c, d) = r.window.train, r.window.test
        windows.append({
            "window": r.window.index, "train_start": _iso(stamps, a), "train_end": _iso(stamps, b - 1),
            "test_start": _iso(stamps, c), "test_end": _iso(stamps, d - 1), "chosen": r.chosen,
            "in_sample": r.train, "out_of_sample": r.test, "starting_cash": r.starting_cash})
    best = result.in_sample
    return {"workflow": prepared.analysis.name, "objective": result.objective, "warmup_bars": result.warmup,
            "in_sample": None if best is None else {"params": best["values"], "metrics": best["metrics"]},
            "out_of_sample": result.out_of_sample, "windows": windows}


def report_walk_forward(prepared: Prepared, job: Job, executor: Executor, store: Store | None,
                        args: argparse.Namespace, watching: bool) -> int:
    from flowc.tools.commands.sweep import finish

    analysis = prepared.analysis
    n_windows = len(windows_of(prepared))
    total = len(grid(analysis.sweeps)) * (n_windows + 1)
    progress = SweepProgress(total, enabled=watching, what=f"{analysis.name} (walk-forward)")
    result = walk_forward(prepared, job, executor, store=store, progress=progress)
    data = summary(result, prepared)
    if args.out:
        out = Path(args.out)
        note = parquet_note(write_tables(out, frame(result.rows, result.params)))
        if note and not args.quiet:
            sys.stderr.write(note)
    if args.out and not result.outcome.interrupted:  # an interrupted walk-forward has no test windows yet
        write_text(out / "walk_forward.json", json.dumps(data, indent=2, allow_nan=False) + "\n")
        import pandas as pd

        stamps = pd.to_datetime(result.timestamps).values
        equity = pd.DataFrame({"timestamp": format_stamps(stamps, stamp_unit(prepared.market.timestamps)),
                               "equity": result.equity})
        write_text(out / "oos_equity.csv", equity.to_csv(index=False))
    if args.json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    elif not args.quiet and not result.outcome.interrupted:
        _print(data, result)
    return finish(result.outcome, total, args)


def _print(data: dict, result: WalkForward) -> None:
    from rich.console import Console
    from rich.table import Table

    from flowc.tools.commands.run import cell

    objective = result.objective
    console = Console()
    table = Table(title=f"{data['workflow']}: walk-forward by {objective} (warm-up {result.warmup} bars)",
                  title_justify="left")
    for column in ("window", "test from", "test to", *result.params, f"IS {objective}", f"OOS {objective}",
                   "OOS return"):
        table.add_column(column, justify="right")
    for w in data["windows"]:
        chosen = w["chosen"] or {}
        table.add_row(str(w["window"]), w["test_start"][:10], w["test_end"][:10],
                      *[cell(chosen.get(p)) for p in result.params],
                      cell((w["in_sample"] or {}).get(objective)), cell((w["out_of_sample"] or {}).get(objective)),
                      cell((w["out_of_sample"] or {}).get("total_return")))
    console.print(table)
    side = Table(title="in-sample (best point over all bars) and out-of-sample (stitched test windows)",
                 title_justify="left")
    side.add_column("metric")
    side.add_column("in-sample", justify="right")
    side.add_column("out-of-sample", justify="right")
    best = data["in_sample"] or {"params": {}, "metrics": {}}
    side.add_row("params", json.dumps(best["params"]), "per window")
    for key in ("final_equity", "total_return", "cagr", "sharpe", "sortino", "max_drawdown", "calmar", "trades",
                "win_rate", "exposure", "steps"):
        side.add_row(key, cell(best["metrics"].get(key)), cell(data["out_of_sample"].get(key)))
    console.print(side)
