"""`flowc run`: run a workflow (or its sweep) and report the metrics."""

from __future__ import annotations

import argparse
import json
import sys

from flowc.dsl.render import render_text
from flowc.runtime.manager import Prepared, prepare, run_prepared
from flowc.runtime.results import RunResult, summarise

SHOWN = ("final_equity", "total_return", "cagr", "volatility", "sharpe", "sortino", "max_drawdown", "calmar",
         "trades", "win_rate", "exposure", "turnover", "bars", "steps", "symbols")


def run_run(args: argparse.Namespace) -> int:
    with _status(args, "compiling"):
        prepared = prepare(args.file, args.workflow, args.overrides, hoist=not args.no_hoist)
    if prepared.warnings and not args.quiet:
        sys.stderr.write(render_text(prepared.warnings, prepared.analysis.sources.sources))
    if prepared.analysis.sweeps or prepared.analysis.walk_forward:
        from flowc.runtime.commands.sweep import run_sweep

        return run_sweep(prepared, args)
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
