"""`flowc run`: run a workflow (or its sweep), report the metrics, and record how to reproduce them.

The single-run path lives here: the run options (`--start/--end`, `--data`, `--benchmark`,
`--quiet/--verbose`), the outputs of `--out` with their manifest, `--report`, `--trace STEP`
(the reference engine, stopped after the step) and `--reproduce OUT_DIR`. Sweeps go to
`commands/sweep.py`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from flowc.compiler.schema import Events, Roles
from flowc.dsl.diagnostics import FlowError
from flowc.dsl.render import render_text
from flowc.runtime.data import MarketData
from flowc.runtime.files import staged_folder
from flowc.runtime.manager import Prepared, RunOptionError, prepare, run_prepared, slice_market
from flowc.runtime.metrics import METRIC_KEYS
from flowc.runtime.results import RunResult, summarise
from flowc.runtime.unfilled_book import unfilled_in_book
from flowc.tools import manifest, out_folder
from flowc.tools.exit_codes import EXIT_ERRORS, EXIT_OK, EXIT_USAGE
from flowc.tools.sleeve_table import COLUMNS, LABELS, TOTAL, sleeve_rows, text

REPORT_FILES = ("report.html", "charts")  # what --report adds to --out: replaced with the results
OUT_FILES = (*manifest.RESULT_FILES, manifest.MANIFEST, *REPORT_FILES, "features")  # a run's set in --out


def run_run(args: argparse.Namespace) -> int:
    if getattr(args, "reproduce", None):
        return reproduce(args)
    if not getattr(args, "file", None):
        return _usage("flowc run needs a FILE (or --reproduce OUT_DIR)")
    for flag, what in (("report", "report.html"), ("features", "features/")):
        if getattr(args, flag, False) and not args.out:
            return _usage(f"--{flag} writes {what} into the output folder: add --out DIR")
    for option in ("out", "capture_signals"):
        folder = getattr(args, option, None)
        if folder and Path(folder).exists() and not Path(folder).is_dir():
            return _usage(f"--{option.replace('_', '-')} {folder}: it is a file; name a folder")
    if args.report:
        from flowc.tools.report import ReportUnavailable, check_available

        try:
            check_available()
        except ReportUnavailable as exc:
            return _usage(str(exc))
    started = manifest.now()
    try:
        data = manifest.parse_data(args.data)
        with _status(args, "compiling"):
            prepared = prepare(args.file, args.workflow, args.overrides, hoist=not args.no_hoist, data=data,
                               start=args.start, end=args.end)
    except (RunOptionError, ValueError) as exc:
        return _usage(str(exc))
    _say_prepared(args, prepared)
    if prepared.warnings and not args.quiet:
        sys.stderr.write(render_text(prepared.warnings, prepared.analysis.sources.sources))
    if args.benchmark is not None and args.benchmark not in prepared.market.symbols:
        return _usage(f"--benchmark {args.benchmark}: no such symbol; the symbols are "
                      f"{', '.join(prepared.market.symbols)}")
    if args.trace is not None:
        return trace(prepared, args.trace)
    sweeping = bool(prepared.analysis.sweeps or prepared.analysis.walk_forward)
    if sweeping and getattr(args, "features", False):
        kind = "walk-forwards" if prepared.analysis.walk_forward else "sweeps"
        return _usage(f"--features writes the feature series of a single run; {kind} have none yet: leave out "
                      "--features")
    if args.out and (refused := out_folder.conflict(args.out, "sweep" if sweeping else "run",
                                                    getattr(args, "force", False))):
        return _usage(refused)
    if prepared.analysis.sweeps or prepared.analysis.walk_forward:
        from flowc.tools.commands.sweep import run_sweep

        code = run_sweep(prepared, args)
        if code == 0 and args.out:
            _write_manifest(prepared, args, started, None)
            if getattr(args, "report", False):
                from flowc.tools.report import write_sweeps_report

                _say(args, f"report: {write_sweeps_report(args.out)}")
        return code
    with _status(args, "running"):
        result = run_once(prepared, engine=args.engine, signals=bool(args.capture_signals))
    if not args.quiet and (lost := unfilled_in_book(prepared.analysis, result.ledger)):
        sys.stderr.write(render_text(lost, prepared.analysis.sources.sources))
    if args.capture_signals:
        from flowc.runtime.signals import capture

        try:
            capture(result.ledger, result.market, args.capture_signals, result.workflow)
        except OSError as exc:
            return _usage(f"--capture-signals {args.capture_signals}: cannot write the signals: {_reason(exc)}")
    _say_engine(args, prepared)
    _say(args, f"run: {_seconds(prepared.timings.jit)} to compile or load the machine code, "
               f"{_seconds(prepared.timings.run)} to run {result.metrics['steps']:,} steps")
    if prepared.machine_code:
        _say(args, f"machine code: {prepared.machine_code}")
    _say(args, f"summary: trade and metric kernels {'interpreted' if result.interpreted else 'compiled'}")
    timings = _timings(prepared)
    bench = _benchmark(result, args.benchmark) if args.benchmark else None
    extra: dict[str, object] = {"workflow": result.workflow, "timings": timings}
    if bench:
        extra["benchmark"] = bench
    if args.out:
        try:
            with staged_folder(args.out, replaces=OUT_FILES) as stage:
                result.write(stage, extra=extra)
                if getattr(args, "features", False):
                    _write_features(args, prepared, stage)
                record = _write_manifest(prepared, args, started, float(result.ledger.cash0.sum()), stage)
                if args.report:
                    from flowc.tools.report import write_report

                    begun = time.perf_counter()
                    from flowc.runtime import features

                    files = write_report(stage, traded_market(prepared), prepared.analysis.graph,
                                         benchmark=args.benchmark, features=features.compute(prepared))
                    _say(args, f"report: {', '.join(str(f.relative_to(stage)) for f in files)} "
                               f"in {_seconds(time.perf_counter() - begun)}")
        except OSError as exc:
            return _usage(f"--out {args.out}: cannot write the results: {_reason(exc)}")
        _say(args, f"wrote {', '.join(record['results'])} and {manifest.MANIFEST} to {args.out}")
    if args.json:
        shown = {**result.metrics, "timings": timings, **({"benchmark": bench} if bench else {}),
                 "portfolios": result.portfolio_metrics, "sleeves": result.sleeve_metrics}
        sys.stdout.write(json.dumps(shown, indent=2) + "\n")
    elif not args.quiet:
        rows = [(k, cell(result.metrics.get(k))) for k in METRIC_KEYS]
        if bench:
            rows.append((f"benchmark {bench['symbol']} total_return", cell(bench["total_return"])))
        _table(f"{result.workflow}", rows, timings)
        _sleeves({"portfolios": result.portfolio_metrics, "sleeves": result.sleeve_metrics})
    return EXIT_OK


def run_once(prepared: Prepared, values: dict[str, object] | None = None, *, engine: str = "compiled",
             signals: bool = False) -> RunResult:
    """One parameter point; with a start date, the warm-up steps before it are left out of the result.

    With `signals` the ledger carries every strategy's signals (`run_prepared`).
    """
    ledger = run_prepared(prepared, values, engine=engine, trade_from=prepared.trade_from, signals=signals)
    return summarise(prepared.analysis.name, ledger.from_step(prepared.trade_from), traded_market(prepared),
                     prepared.analysis.periods_per_year)


def traded_market(prepared: Prepared) -> MarketData:
    """The market data of the steps the result covers (from `--start`, without the warm-up)."""
    if not prepared.trade_from:
        return prepared.market
    return slice_market(prepared.market, prepared.trade_from, prepared.market.n_steps)


def _write_features(args: argparse.Namespace, prepared: Prepared, stage: Path) -> None:
    """`--features`: every FEATURE, REGIME and SIGNAL series (`runtime/features.py`)."""
    from flowc.runtime import features

    begun = time.perf_counter()
    series = features.compute(prepared)
    parquet = features.has_parquet()
    files = features.write(stage, series, parquet=parquet)
    if not parquet and not args.quiet:
        sys.stderr.write("flowc: features/ written as CSV; for Parquet: pip install 'flowc[parquet]'\n")
    _say(args, f"features: {len(series.columns)} series of {len(series.symbols)} symbol"
               f"{'s' * (len(series.symbols) != 1)} in {len(files) - 1} {'Parquet' if parquet else 'CSV'} "
               f"file{'s' * (len(files) != 2)} in {_seconds(time.perf_counter() - begun)} (read from the "
               f"{series.source} engine{'' if series.source == 'compiled' else ': ' + features.WHY_REFERENCE})")


def _benchmark(result: RunResult, symbol: str) -> dict[str, object]:
    from flowc.tools.report.model import buy_and_hold

    cash0 = float(result.ledger.cash0.sum())
    equity = buy_and_hold(result.market, cash0, [symbol])
    return {"symbol": symbol, "final_equity": float(equity[-1]), "total_return": float(equity[-1] / cash0 - 1.0)}


def _write_manifest(prepared: Prepared, args: argparse.Namespace, started: str, cash0: float | None,
                    folder: str | Path | None = None) -> dict:
    """The manifest of the results in `folder` (default `--out`), written there last."""
    folder = Path(args.out if folder is None else folder)
    record = manifest.build(prepared, args, started=started, finished=manifest.now(), out=folder, cash0=cash0)
    manifest.write(folder, record)
    return record


def _reason(exc: OSError) -> str:
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{exc.strerror or type(exc).__name__}{where}"


# ---- --trace STEP -----------------------------------------------------------------------

EVENT_OF_ROLE = {Roles.DATA: Events.BAR, Roles.FEATURE: Events.FEATURE, Roles.CLASSIFIER: Events.REGIME,
                 Roles.STRATEGY: Events.SIGNAL, Roles.RISK: Events.ORDER, Roles.EXECUTION: Events.FILL,
                 Roles.PORTFOLIO: Events.PORTFOLIO}


class _Stop(Exception):
    """Raised by the trace hook once the traced step is over."""


def trace(prepared: Prepared, step: int) -> int:
    """Print every event emitted at `step` (numbered as in the outputs), with the routes it takes."""
    from flowc.compiler.export import predicate_text
    from flowc.runtime.reference import run_reference

    k = prepared.trade_from
    steps = prepared.market.n_steps - k
    if not 0 <= step < steps:
        return _usage(f"--trace {step}: the run has steps 0 to {steps - 1}")
    at = step + k
    graph = prepared.analysis.graph
    symbols = prepared.market.symbols
    stamp = np.datetime_as_string(prepared.market.timestamps[at], "s")
    lines = [f"step {step}  {stamp}" + (f"  (step {at} of the data, {k} before it warm up)" if k else "")]
    moved = 0

    def targets(path: str, event: str) -> str:
        shown = []
        for edge in graph.outgoing(path, event):
            notes = [f"at step {step + 1}"] if edge.feedback else []
            predicate = predicate_text(edge)
            if predicate:
                notes.append(f"when {predicate}")
            shown.append(edge.target + (f" ({'; '.join(notes)})" if notes else ""))
        return ", ".join(shown) if shown else "(no route)"

    def hook(t: int, path: str, emitted: list) -> None:
        nonlocal moved
        if t > at:
            raise _Stop
        if t < at:
            return
        event = EVENT_OF_ROLE.get(graph.role(path), "?")
        where = None
        for s, events in enumerate(emitted):
            for record in events:
                if where is None:
                    where = targets(path, event)
                fields = "  ".join(f"{name}={_value(v)}" for name, v in record.items())
                lines.append(f"  {path:<20} {event:<9} {symbols[s]:<8} {fields}  -> {where}")
                moved += 1

    with contextlib.suppress(_Stop):
        run_reference(prepared.analysis, prepared.market, list(prepared.params()), trade_from=k, trace=hook)
    lines.append(f"{moved} event{'s' if moved != 1 else ''} at step {step}")
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK


def _value(v: float) -> str:
    return f"{v:.10g}" if isinstance(v, float) else str(v)


# ---- --reproduce OUT_DIR ----------------------------------------------------------------


def reproduce(args: argparse.Namespace) -> int:
    """Rerun the run recorded in OUT_DIR/manifest.json and compare its results with the files in OUT_DIR.

    The files in the folder are what is certified: each is hashed and compared with the rerun's
    (and with the digest the manifest recorded, which tells an edited or half-written file from a
    changed input). The folder names code to run only through its plugins, and those are never
    loaded from it: the user passes them with `--plugin`, and they must be the recorded ones.
    """
    from flowc.tools.cli import build_parser

    out = args.reproduce
    try:
        before = manifest.read(out)
    except ValueError as exc:
        return _usage(str(exc))
    recorded = str(before["run"].get("file"))
    if getattr(args, "file", None) and str(Path(args.file).absolute()) != recorded:
        return _usage(f"--reproduce {out} reruns {recorded}; leave out FILE or give that one")
    argv = ["run", *manifest.rerun_arguments(before["run"])]
    used = before.get("inputs", {}).get("plugins")
    if not isinstance(used, list):
        used = [{"name": str(p)} for p in before["run"].get("plugins") or []]
    given = list(getattr(args, "plugin", None) or [])
    problem = manifest.plugin_mismatch([p for p in used if isinstance(p, dict)], given)
    if problem:
        names = " ".join(f"--plugin {p.get('name')}" for p in used if isinstance(p, dict))
        return _usage(f"--reproduce {out}: {problem}. A results folder never chooses code to run: pass the "
                      f"run's plugins yourself" + (f" (`flowc {names} run --reproduce {out}`)" if names else "")
                      + "; --plugin executes Python code")
    present = manifest.result_digests(out)
    with tempfile.TemporaryDirectory(prefix="flowc-reproduce-") as scratch:
        rerun = build_parser().parse_args([*(x for p in given for x in ("--plugin", p)), *argv, "--out", scratch,
                                           "--quiet"])
        try:
            code = run_run(rerun)
        except FlowError:
            sys.stderr.write(f"flowc: --reproduce {out}: the recorded run cannot run any more:\n")
            raise
        if code != 0:
            sys.stderr.write(f"flowc: --reproduce {out}: the recorded run failed (exit {code})\n")
            return code
        after = manifest.read(scratch)
    inputs, versions, _ = manifest.compare(before, after)
    rerun_results = after.get("results", {})
    results = [name for name in sorted({*present, *rerun_results}, key=_result_key)
               if present.get(name) != rerun_results.get(name)]
    edited = manifest.edited_results(before.get("results") or {}, present)
    same = not results and not edited
    if args.json:
        sys.stdout.write(json.dumps({"identical": same and not inputs, "results_identical": same,
                                     "inputs_changed": inputs, "versions_changed": versions,
                                     "results_differ": results, "files_not_as_recorded": edited},
                                    indent=2) + "\n")
    else:
        checked = ", ".join(present)
        n_flow = len(after.get("inputs", {}).get("flow", []))
        n_data = len(after.get("inputs", {}).get("data", []))
        if same and not inputs:
            verdict = "identical"
        elif same:
            verdict = "identical results, but the inputs changed"
        else:
            verdict = "NOT identical"
        lines = [f"reproduce {out}: {verdict}"]
        lines += [f"  input changed: {item}" for item in inputs]
        if not inputs:
            lines.append(f"  inputs unchanged: {n_flow} flow file{'s' * (n_flow != 1)}, "
                         f"{n_data} data file{'s' * (n_data != 1)}, parameters and plan")
        lines += [f"  version changed: {item}" for item in versions]
        lines += [f"  not as the run wrote it: {item}" for item in edited]
        lines.append(f"  results differ: {', '.join(results)}" if results else f"  results match: {checked}")
        sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK if same and not inputs else EXIT_ERRORS


def _result_key(name: str) -> int:
    return manifest.RESULT_FILES.index(name) if name in manifest.RESULT_FILES else len(manifest.RESULT_FILES)


# ---- printing ---------------------------------------------------------------------------


def _usage(message: str) -> int:
    sys.stderr.write(f"flowc: {message}\n")
    return EXIT_USAGE


def _say(args: argparse.Namespace, message: str) -> None:
    """A line about a stage, with --verbose."""
    if getattr(args, "verbose", False):
        sys.stderr.write(f"flowc: {message}\n")


def _seconds(value: float) -> str:
    return f"{value:.3f}s"


def _say_engine(args: argparse.Namespace, prepared: Prepared) -> None:
    """Which engine answered, and why."""
    choice = prepared.choice
    if choice is None:
        _say(args, f"engine: {args.engine} (as asked)")
    else:
        later = "; compiling it in the background for the next run" if prepared.background else ""
        _say(args, f"engine: {choice.engine}: {choice.reason}{later}")


def _say_prepared(args: argparse.Namespace, prepared: Prepared) -> None:
    if not getattr(args, "verbose", False):
        return
    t, market, plan = prepared.timings, prepared.market, prepared.plan
    analysis = prepared.analysis
    _say(args, f"parse, analyse and lint: {_seconds(t.parse)}: workflow `{analysis.name}`, "
               f"{len(analysis.sources.sources)} file{'s' * (len(analysis.sources.sources) != 1)}")
    hoisted = sum(n.hoisted for n in plan.nodes)
    _say(args, f"plan: {_seconds(t.compile)}: {len(plan.nodes)} containers, {hoisted} hoisted, plan {plan.digest}")
    files = ", ".join(str(f) for f in dict.fromkeys(prepared.data_files)) or "generated"
    _say(args, f"load: {_seconds(t.load)}: {market.bars:,} bars of {market.n_symbols} "
               f"symbol{'s' * (market.n_symbols != 1)} ({', '.join(market.symbols)}) from {files}")
    if market.n_steps:
        k = prepared.trade_from
        first = np.datetime_as_string(market.timestamps[k], "s") if k < market.n_steps else "-"
        last = np.datetime_as_string(market.timestamps[-1], "s")
        warm = (f"; {k} steps of warm-up from {np.datetime_as_string(market.timestamps[0], 's')} "
                f"(longest warm-up {prepared.warmup} bars)") if k else ""
        gap = ""
        if prepared.gap is not None:
            from flowc.runtime.data_gaps import describe

            gap = f"; largest gap `{prepared.gap['symbol']}`, {describe(prepared.gap)}"
        _say(args, f"range: {first} to {last}, {market.n_steps - k:,} steps{warm}{gap}")
        from flowc.runtime.data_quality import describe, summary

        records = summary(market, k)
        for record in records[:QUALITY_LINES]:
            _say(args, f"data {describe(record)}")
        if len(records) > QUALITY_LINES:
            _say(args, f"data: {len(records) - QUALITY_LINES} more symbols in the manifest (market.quality)")


QUALITY_LINES = 20  # symbols whose data summary `-v` prints; the manifest has every one


def _timings(prepared: Prepared) -> dict[str, float]:
    t = prepared.timings.as_dict()
    bars = int(prepared.market.present.sum())
    t["bars_per_second"] = round(bars / t["run"], 1) if t["run"] > 0 else None  # type: ignore[assignment]
    return t


def cell(value: object) -> str:
    """A value as it stands in a terminal table: n/a for none, separators, six significant digits."""
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


def _sleeves(metrics: dict) -> None:
    """The per-sleeve table (`tools.sleeve_table`): each sleeve's contribution, then its portfolio's."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    several = len(metrics["portfolios"]) > 1
    table = Table(title="by sleeve", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  collapse_padding=True)
    for name in ("portfolio", "sleeve")[not several:]:
        table.add_column(name, no_wrap=True)
    for key in COLUMNS:
        table.add_column(LABELS.get(key, key), justify="right", no_wrap=True)
    for portfolio, sleeve, values in sleeve_rows(metrics):
        table.add_row(*(portfolio, sleeve)[not several:], *(text(values.get(k), k) for k in COLUMNS),
                      style="bold" if sleeve == TOTAL else None)
    Console().print(table)


class _status:
    """A spinner on stderr for the slow stages, when a person is watching."""

    def __init__(self, args: argparse.Namespace, what: str):
        self.active = sys.stderr.isatty() and not args.quiet and not args.json and not getattr(args, "verbose", False)
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
