"""`flowc run`: run a workflow (or its sweep) and report the metrics."""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time

from flowc.dsl.render import render_text
from flowc.runtime.manager import Prepared, prepare, run_prepared
from flowc.runtime.metrics import rank
from flowc.runtime.results import RunResult, summarise

SHOWN = ("final_equity", "total_return", "cagr", "volatility", "sharpe", "sortino", "max_drawdown", "calmar",
         "trades", "win_rate", "exposure", "turnover", "bars", "steps", "symbols")


def run_run(args: argparse.Namespace) -> int:
    with _status(args, "compiling"):
        prepared = prepare(args.file, args.workflow, args.overrides, hoist=not args.no_hoist)
    if prepared.warnings and not args.quiet:
        sys.stderr.write(render_text(prepared.warnings, prepared.analysis.sources.sources))
    if prepared.analysis.sweeps:
        return _sweep(prepared, args)
    with _status(args, "running"):
        result = run_once(prepared, engine=args.engine)
    timings = _timings(prepared)
    if args.out:
        result.write(args.out, extra={"workflow": result.workflow, "timings": timings})
    if args.json:
        sys.stdout.write(json.dumps({**result.metrics, "timings": timings}, indent=2) + "\n")
    elif not args.quiet:
        _table(f"{result.workflow}", [(k, _shown(result.metrics.get(k))) for k in SHOWN], timings)
    return 0


def run_once(prepared: Prepared, values: dict[str, object] | None = None, *, engine: str = "compiled") -> RunResult:
    ledger = run_prepared(prepared, values, engine=engine)
    return summarise(prepared.analysis.name, ledger, prepared.market, prepared.analysis.periods_per_year)


def _timings(prepared: Prepared) -> dict[str, float]:
    t = prepared.timings.as_dict()
    bars = int(prepared.market.present.sum())
    t["bars_per_second"] = round(bars / t["run"], 1) if t["run"] > 0 else None  # type: ignore[assignment]
    return t


def _sweep(prepared: Prepared, args: argparse.Namespace) -> int:
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
        from pathlib import Path

        Path(args.out).mkdir(parents=True, exist_ok=True)
        _write(Path(args.out) / "sweep.csv", frame.to_csv(index=False, float_format="%.10g"))
    if args.json:
        sys.stdout.write(json.dumps([rows[i] for i in order], indent=2) + "\n")
    elif not args.quiet:
        _sweep_table(prepared, rows, order, objective, elapsed)
    return 0


def _shown(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _table(title: str, rows: list[tuple[str, str]], timings: dict[str, float]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("metric", style="bold")
    table.add_column("value", justify="right")
    for key, value in rows:
        table.add_row(key, value)
    console = Console()
    console.print(table)
    console.print(f"[dim]parse {timings['parse']:.3f}s  compile {timings['compile']:.3f}s  "
                  f"jit {timings['jit']:.3f}s  run {timings['run']:.4f}s[/dim]")


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


class _status:
    """A spinner on stderr for the slow stages, when a person is watching."""

    def __init__(self, args: argparse.Namespace, what: str):
        self.active = sys.stderr.isatty() and not args.quiet and not args.json
        self.what = what
        self.status = None

    def __enter__(self) -> None:
        if self.active:
            from rich.console import Console

            self.status = Console(stderr=True).status(self.what)
            self.status.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.__exit__(*exc)
