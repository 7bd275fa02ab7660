"""The workflow manager's run side: from a `.flow` file to a finished run, stage by stage.

Each stage either succeeds or raises FlowError carrying its diagnostics (and
the sources to render them), so the CLI and the Python API report bad input
the same way. Timings of every stage are kept for `metrics.json`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from flowc.compiler.ir import SourceSpec
from flowc.compiler.plan import Plan, build_plan
from flowc.compiler.warmup import longest_warmup
from flowc.compiler.workflow import Analysis, analyse
from flowc.dsl.diagnostics import Diagnostic, FlowError, did_you_mean, has_errors
from flowc.dsl.loader import SourceSet, load
from flowc.runtime.data import MarketData, SymbolBars, align, load_source, sample_path, source_symbols
from flowc.runtime.ledger import Ledger


class RunOptionError(ValueError):
    """A `--data`, `--start` or `--end` that cannot apply: a usage error, reported in words."""


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
    trade_from: int = 0  # with --start: the first step risk may act at; the steps before it warm up
    warmup: int = 0  # with --start: the bars of warm-up the workflow needs (its longest)
    data_files: list[Path] = field(default_factory=list)  # every data file read, in load order
    replays: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)  # replayed signals, per replay()

    def inputs(self, steps: slice = slice(None)) -> dict[str, np.ndarray]:
        """The arrays the program reads besides the bars: replayed signals, by buffer source name."""
        out = {}
        for k, (present, values) in enumerate(self.replays):
            out[f"replay:{k}:present"], out[f"replay:{k}:values"] = present[steps], values[steps]
        return out

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


def load_market(analysis: Analysis, data: Mapping[str, str | Path] | None = None, *,
                files: list[Path] | None = None) -> tuple[MarketData, np.ndarray]:
    """Load every data container's sources; several make one stream aligned on the union of timestamps.

    `data` maps a symbol to a CSV or Parquet file that replaces its bars (`--data SYMBOL=PATH`;
    relative paths start at the working directory); a source whose symbols are all replaced is not
    read. `files`, if given, receives every data file read, in load order.
    """
    series, owner = [], []
    base_dir = Path(analysis.sources.main).parent
    data_nodes = [n for n in analysis.graph.nodes if analysis.graph.role(n) == "data"]  # type: ignore[union-attr]
    from flowc.compiler.plan import schedule

    order = [n for n in schedule(analysis.graph) if n in data_nodes]  # type: ignore[arg-type]
    overrides = {symbol: Path(path).expanduser().absolute() for symbol, path in (data or {}).items()}
    replaced: set[str] = set()
    problems: list[Diagnostic] = []
    read = files if files is not None else []

    def override(symbol: str) -> SymbolBars | None:
        path = overrides[symbol]
        kind = "parquet" if path.suffix.lower() in (".parquet", ".pq") else "csv"
        try:
            loaded = load_source(kind, {"path": str(path), "symbol": symbol}, base_dir=Path.cwd())
        except FlowError as exc:
            given = (data or {})[symbol]
            problems.extend(dataclasses.replace(
                d, message=f"--data {symbol}={given}: {d.message}",
                hint="a relative --data path starts at the working directory" if d.code == "FL601" else d.hint)
                for d in exc.diagnostics)
            return None
        read.append(path)
        replaced.add(symbol)
        return loaded[0]

    for index, path in enumerate(order):
        config = analysis.binding.containers[path].config  # type: ignore[union-attr]
        for source in config.sources:  # type: ignore[union-attr]
            named = source_symbols(source.kind, source.args)
            if named and all(symbol in overrides for symbol in named):
                loaded = [bars for bars in map(override, named) if bars is not None]
            else:
                try:
                    loaded = load_source(source.kind, source.args, base_dir=base_dir, span=source.span)
                except FlowError as exc:
                    problems.extend(exc.diagnostics)
                    continue
                read.extend(_source_files(source, base_dir))
                loaded = [override(bars.symbol) if bars.symbol in overrides else bars for bars in loaded]
                loaded = [bars for bars in loaded if bars is not None]
            series.extend(loaded)
            owner.extend([index] * len(loaded))
    if problems:
        raise _fail(problems, analysis.sources)
    unknown = [symbol for symbol in overrides if symbol not in replaced]
    if unknown:
        symbols = [bars.symbol for bars in series]
        hint = did_you_mean(unknown[0], symbols)
        raise RunOptionError(f"--data {unknown[0]}=...: no data source has the symbol `{unknown[0]}`; "
                             f"the symbols are {', '.join(symbols)}" + (f" ({hint})" if hint else ""))
    try:
        market = align(series)
    except FlowError as exc:
        raise _fail(exc.diagnostics, analysis.sources) from None
    return market, np.array(owner, dtype=np.int64)


def _source_files(spec: SourceSpec, base_dir: Path) -> list[Path]:
    """The file a source read (resolved as `data.load_source` resolves it); none for `synthetic`."""
    if spec.kind == "sample":
        return [sample_path(str(spec.args["name"]))]
    if spec.kind in ("csv", "parquet"):
        path = Path(str(spec.args["path"])).expanduser()
        return [(path if path.is_absolute() else base_dir / path).absolute()]
    return []


# ---- date ranges ------------------------------------------------------------------------


def parse_when(text: str, option: str) -> tuple[np.datetime64, bool]:
    """A date or timestamp as UTC microseconds, and whether it was a bare date (a whole day)."""
    import pandas as pd

    try:
        when = pd.Timestamp(text.strip())
    except (ValueError, TypeError):
        when = None
    if when is None or when is pd.NaT:
        raise RunOptionError(f"{option} {text!r} is not a date or timestamp; write 2015-06-30 or "
                             f"2015-06-30T14:30:00")
    if when.tzinfo is not None:
        when = when.tz_convert("UTC").tz_localize(None)
    bare = when == when.normalize() and len(text.strip()) <= 10
    return np.datetime64(when.to_datetime64(), "us"), bare


def select_range(market: MarketData, start: str | None, end: str | None,
                 warmup: int) -> tuple[MarketData, int]:
    """The steps from `start` to `end` (both included; a bare `--end` date takes the whole day), with
    enough earlier steps before `start` that every symbol has `warmup` bars of its own there (or all
    it has). Returns the market data cut to that and the step where trading starts."""
    stamps = market.timestamps
    last = len(stamps)
    if end is not None:
        when, bare = parse_when(end, "--end")
        limit = when + np.timedelta64(1, "D") if bare else when
        last = int(np.searchsorted(stamps, limit, side="left" if bare else "right"))
    first = 0
    if start is not None:
        when, _ = parse_when(start, "--start")
        first = int(np.searchsorted(stamps, when, side="left"))
    shown = f"{np.datetime_as_string(stamps[0], 's')} to {np.datetime_as_string(stamps[-1], 's')}"
    if first >= last:
        chosen = " ".join(f"{o} {v}" for o, v in (("--start", start), ("--end", end)) if v is not None)
        raise RunOptionError(f"{chosen} selects no bars; the data runs from {shown}")
    begin = first
    if warmup > 0 and first > 0:
        for s in range(market.n_symbols):
            own = np.flatnonzero(market.present[:first, s])
            if len(own):
                begin = min(begin, int(own[-warmup]) if len(own) >= warmup else int(own[0]))
    return slice_market(market, begin, last), first - begin


def slice_market(market: MarketData, begin: int, end: int) -> MarketData:
    """Steps `begin` to `end` (exclusive) of the market data."""
    cut = slice(begin, end)
    return MarketData(market.symbols, market.timestamps[cut], market.open[cut], market.high[cut],
                      market.low[cut], market.close[cut], market.volume[cut], market.present[cut])


def prepare(path: str | Path, workflow: str | None = None, overrides: Sequence[str] = (), *,
            hoist: bool = True, data: Mapping[str, str | Path] | None = None, start: str | None = None,
            end: str | None = None) -> Prepared:
    """Analyse, plan and load a workflow; `data` replaces symbols' bars, `start` and `end` pick a range.

    With `start`, the earlier bars the workflow's longest warm-up needs are kept and `trade_from`
    says where trading starts (pass it to `run_prepared`).
    """
    timings = Timings()
    begun = time.perf_counter()
    analysis = analyse_file(path, workflow, overrides)
    timings.parse = time.perf_counter() - begun
    begun = time.perf_counter()
    plan, problems = build_plan(analysis, hoist=hoist)
    if plan is None:
        raise _fail(problems, analysis.sources)
    timings.compile = time.perf_counter() - begun
    begun = time.perf_counter()
    files: list[Path] = []
    market, owner = load_market(analysis, data, files=files)
    trade_from = warmup = 0
    if start is not None or end is not None:
        warmup = _sweep_warmup(analysis, plan)
        market, trade_from = select_range(market, start, end, warmup)
    replays = _replays(analysis, market)
    timings.load = time.perf_counter() - begun
    literals = analysis.binding.symbol_literals  # type: ignore[union-attr]
    symlit = np.array([literals.index(s) if s in literals else -1 for s in market.symbols], dtype=np.int64)
    warnings = [d for d in analysis.diagnostics if not d.is_error]
    return Prepared(analysis, plan, market, owner, symlit, warnings, timings, trade_from=trade_from, warmup=warmup,
                    data_files=files, replays=replays)


def _replays(analysis: Analysis, market: MarketData) -> list[tuple[np.ndarray, np.ndarray]]:
    """The captured signals every `replay(...)` of the workflow emits, on this market's steps."""
    from flowc.runtime.signals import load_replay

    base_dir = Path(analysis.sources.main).parent
    try:
        return [load_replay(spec, market, base_dir) for spec in analysis.binding.replays]  # type: ignore[union-attr]
    except FlowError as exc:
        raise _fail(exc.diagnostics, analysis.sources) from None


def _sweep_warmup(analysis: Analysis, plan: Plan) -> int:
    """The longest warm-up at the default values, or at the largest value of each swept param."""
    values = dict(analysis.values)
    for sweep in analysis.sweeps:
        numbers = [v for v in sweep.values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if numbers:
            values[sweep.param] = max(numbers)
    params = np.array(analysis.binding.params.vector(values), dtype=np.float64)  # type: ignore[union-attr]
    return longest_warmup(plan, params)


def run_prepared(prepared: Prepared, values: dict[str, object] | None = None, *,
                 engine: str = "compiled", trade_from: int = 0, signals: bool = False) -> Ledger:
    """Run one parameter point with the compiled program (compiled on first use) or the reference.

    Risk containers act only at steps >= `trade_from` (the steps before warm up every state).
    With `signals` the ledger carries every strategy's signals (the reference's always does).
    """
    params = prepared.params(values)
    if engine == "reference":
        from flowc.runtime.executor import check_windows
        from flowc.runtime.reference import run_reference

        check_windows(prepared.plan, params)  # a window or lag a param sets below its least (FL509, FL512)
        start = time.perf_counter()
        ledger = run_reference(prepared.analysis, prepared.market, list(params), trade_from=trade_from,
                               replays=prepared.replays)
        prepared.timings.run = time.perf_counter() - start
        return ledger
    from flowc.runtime.executor import compile_plan, run_program

    if prepared.program is None:
        from flowc.runtime import prewarm

        child = prewarm.start()  # the summary's kernels compile meanwhile, in another process
        try:
            start = time.perf_counter()
            prepared.program = compile_plan(prepared.plan)
            prepared.timings.compile += time.perf_counter() - start
            start = time.perf_counter()
            _warm_up(prepared, params)
            prepared.timings.jit = time.perf_counter() - start
        finally:
            prewarm.finish(child)
    start = time.perf_counter()
    ledger = run_program(prepared.program, prepared.market, prepared.owner, prepared.symlit, params,  # type: ignore
                         trade_from, prepared.inputs(), signals=signals)
    prepared.timings.run = time.perf_counter() - start
    return ledger


def _warm_up(prepared: Prepared, params: np.ndarray) -> None:
    """Compile (or load from numba's cache) by running on the first few steps, so timings separate JIT."""
    from flowc.runtime.executor import run_program

    market = prepared.market
    head = MarketData(market.symbols, market.timestamps[:2], market.open[:2], market.high[:2], market.low[:2],
                      market.close[:2], market.volume[:2], market.present[:2])
    run_program(prepared.program, head, prepared.owner, prepared.symlit, params,  # type: ignore[arg-type]
                inputs=prepared.inputs(slice(0, 2)))
