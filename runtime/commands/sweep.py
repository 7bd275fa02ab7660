"""The sweep path of `flowc run`: every point of a workflow's grid, one compilation for all."""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

from flowc.runtime.commands.run import _shown, _status, run_once
from flowc.runtime.manager import Prepared
from flowc.runtime.metrics import rank


def run_sweep(prepared: Prepared, args: argparse.Namespace) -> int:
    """Every point of the workflow's grid, one compilation for all, ranked by the objective."""
    sweeps = prepared.analysis.sweeps
    points = [dict(zip([s.param for s in sweeps], combo, strict=True))
              for combo in itertools.product(*(s.values for s in sweeps))]
    rows = []
    start = time.perf_counter()
    with _status(args, f"running {len(points)} points"):
        for values in points:
            result = run_once(prepared, values, engine=args.engine)
            rows.append({**values, **result.metrics})
    elapsed = time.perf_counter() - start
    objective = prepared.analysis.objective
    order = rank(rows, objective)
    if args.out:
        import pandas as pd

        from flowc.runtime.results import _write

        frame = pd.DataFrame([rows[i] for i in order])
        Path(args.out).mkdir(parents=True, exist_ok=True)
        _write(Path(args.out) / "sweep.csv", frame.to_csv(index=False, float_format="%.10g"))
    if args.json:
        sys.stdout.write(json.dumps([rows[i] for i in order], indent=2) + "\n")
    elif not args.quiet:
        _sweep_table(prepared, rows, order, objective, elapsed)
    return 0



def _sweep_table(prepared: Prepared, rows: list[dict], order: list[int], objective: str, elapsed: float) -> None:
    from rich.console import Console
    from rich.table import Table

    params = [s.param for s in prepared.analysis.sweeps]
    table = Table(title=f"{prepared.analysis.name}: {len(rows)} points ranked by {objective}", title_justify="left")
    for column in [*params, objective, "total_return", "max_drawdown", "trades"]:
        table.add_column(column, justify="right")
    for i in order[:10]:
        row = rows[i]
        table.add_row(*[_shown(row[c]) for c in [*params, objective, "total_return", "max_drawdown", "trades"]])
    console = Console()
    console.print(table)
    console.print(f"[dim]{len(rows)} points in {elapsed:.2f}s ({len(rows) / elapsed:.1f} points/s)[/dim]")
