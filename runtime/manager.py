"""The workflow manager's run side: from a `.flow` file to a finished run, stage by stage.

`prepare` reads in order: the compiler's pipeline to the optimised plan
(`compiler/pipeline.py`: load, analyse, lint, plan, optimise), the data, the
replayed signals; `run_prepared` compiles (generate, import, JIT) and executes
one parameter point. Each step either succeeds or raises FlowError carrying its
diagnostics (and the sources to render them), so the CLI and the Python API
report bad input the same way. Timings of every stage are kept for `metrics.json`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from flowc.compiler.data_symbols import source_symbols
from flowc.compiler.ir import ExecutionConfig, SourceSpec
from flowc.compiler.pipeline import compile_to
from flowc.compiler.plan import Plan
from flowc.compiler.schema import CARRY_SETTINGS, Roles
from flowc.compiler.warmup import longest_warmup
from flowc.compiler.workflow import Analysis
from flowc.dsl.diagnostics import Diagnostic, FlowError, diagnose, did_you_mean, has_errors
from flowc.dsl.loader import SourceSet
from flowc.runtime import numba_cache
from flowc.runtime.coarse_periods import most_bars_per_period
from flowc.runtime.coarse_stamps import early_stamps
from flowc.runtime.cross_symbols import unknown_symbols
from flowc.runtime.data import MarketData, SymbolBars, align, load_source, sample_path
from flowc.runtime.data_gaps import gap_problem, largest_gap
from flowc.runtime.ledger import Ledger, first_overflow
from flowc.runtime.tiers import Choice


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
    gap: dict[str, object] | None = None  # the largest gap between two bars of a symbol (`data_gaps`)
    replays: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)  # replayed signals, per replay()
    choice: Choice | None = None  # the engine `auto` chose, and why
    background: bool = False  # whether a background compile of the program was started
    machine_code: str = ""  # how the compiled engine got its program's machine code, for `run -v`

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


def load_market(analysis: Analysis, plan: Plan, data: Mapping[str, object] | None = None, *,
                files: list[Path] | None = None) -> tuple[MarketData, np.ndarray]:
    """Load every data container's sources, in schedule order; several make one stream aligned on the
    union of timestamps.

    `data` maps a symbol to a CSV or Parquet file that replaces its bars (`--data SYMBOL=PATH`;
    relative paths start at the working directory), or to a pandas DataFrame of its bars (the
    Python API, `data_frames.frame_bars`); a source whose symbols are all replaced is not read.
    `files`, if given, receives every data file read, in load order.
    """
    from flowc.runtime.data_frames import frame_bars, frame_or_path

    series, owner = [], []
    base_dir = Path(analysis.sources.main).parent
    order = [node.path for node in plan.of_role(Roles.DATA)]  # the plan's nodes are in schedule order
    overrides = {symbol: frame_or_path(symbol, given) for symbol, given in (data or {}).items()}
    replaced: set[str] = set()
    problems: list[Diagnostic] = []
    read = files if files is not None else []

    def override(symbol: str) -> SymbolBars | None:
        path = overrides[symbol]
        if not isinstance(path, Path):
            try:
                bars = frame_bars(path, symbol)
            except FlowError as exc:
                problems.extend(exc.diagnostics)
                return None
            replaced.add(symbol)
            return bars
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
        given = f"data[{unknown[0]!r}]" if not isinstance(overrides[unknown[0]], Path) else f"--data {unknown[0]}=..."
        raise RunOptionError(f"{given}: no data source has the symbol `{unknown[0]}`; "
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
            hoist: bool = True, data: Mapping[str, object] | None = None, start: str | None = None,
            end: str | None = None) -> Prepared:
    """Analyse, plan and load a workflow; `data` replaces symbols' bars, `start` and `end` pick a range.

    With `start`, the earlier bars the workflow's longest warm-up needs are kept and `trade_from`
    says where trading starts (pass it to `run_prepared`).
    """
    compiled = compile_to(path, "optimise", workflow=workflow, overrides=overrides, hoist=hoist)
    if not compiled.ok:
        raise compiled.failure()
    analysis, plan = compiled.analysis, compiled.optimise
    assert analysis is not None and plan is not None
    seconds = compiled.seconds
    timings = Timings(parse=seconds["load"] + seconds["analyse"] + seconds["lint"],
                      compile=seconds["plan"] + seconds["optimise"])
    begun = time.perf_counter()
    files: list[Path] = []
    market, owner = load_market(analysis, plan, data, files=files)
    trade_from = warmup = 0
    if start is not None or end is not None:
        warmup = _sweep_warmup(analysis, plan, market)
        market, trade_from = select_range(market, start, end, warmup)
    replays = _replays(analysis, market)
    timings.load = time.perf_counter() - begun
    literals = analysis.binding.symbol_literals  # type: ignore[union-attr]
    symlit = np.array([literals.index(s) if s in literals else -1 for s in market.symbols], dtype=np.int64)
    if problems := unknown_symbols(analysis.binding, market.symbols):  # type: ignore[arg-type]
        raise _fail(problems, analysis.sources)
    warnings = list(compiled.warnings)
    gap = largest_gap(market, trade_from)
    if (problem := gap_problem(gap)) is not None:
        warnings.append(problem)
    if (problem := early_stamps(market)) is not None:
        warnings.append(problem)
    if analysis.walk_forward:
        from flowc.runtime.data_length import walk_forward_problem

        problem = walk_forward_problem(analysis, market.n_steps, trade_from)
        if problem is not None:
            raise _fail([problem], analysis.sources)
    if not analysis.sweeps and not analysis.walk_forward:  # a sweep's windows differ from point to point
        from flowc.runtime.data_length import window_problems

        problems = window_problems(plan, np.array(analysis.binding.params.vector(analysis.values),  # type: ignore
                                                  dtype=np.float64), market)
        if has_errors(problems):
            raise _fail(problems, analysis.sources)
        warnings.extend(problems)
    return Prepared(analysis, plan, market, owner, symlit, warnings, timings, trade_from=trade_from, warmup=warmup,
                    data_files=files, replays=replays, gap=gap)


def _replays(analysis: Analysis, market: MarketData) -> list[tuple[np.ndarray, np.ndarray]]:
    """The captured signals every `replay(...)` of the workflow emits, on this market's steps."""
    from flowc.runtime.signals import load_replay

    base_dir = Path(analysis.sources.main).parent
    try:
        return [load_replay(spec, market, base_dir) for spec in analysis.binding.replays]  # type: ignore[union-attr]
    except FlowError as exc:
        raise _fail(exc.diagnostics, analysis.sources) from None


def _sweep_warmup(analysis: Analysis, plan: Plan, market: MarketData) -> int:
    """The longest warm-up at the default values, or at the largest value of each swept param."""
    values = dict(analysis.values)
    for sweep in analysis.sweeps:
        numbers = [v for v in sweep.values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if numbers:
            values[sweep.param] = max(numbers)
    params = np.array(analysis.binding.params.vector(values), dtype=np.float64)  # type: ignore[union-attr]
    return longest_warmup(plan, params, most_bars_per_period(market))


def run_prepared(prepared: Prepared, values: dict[str, object] | None = None, *,
                 engine: str = "compiled", trade_from: int = 0, signals: bool = False) -> Ledger:
    """Run one parameter point with the compiled program (compiled on first use), the reference, or
    with `auto` the engine `tiers.choose` picks (recorded in `prepared.choice`).

    Risk containers act only at steps >= `trade_from` (the steps before warm up every state).
    With `signals` the ledger carries every strategy's signals (the reference's always does).
    """
    params = prepared.params(values)
    check_settings(prepared.plan, params)
    numba_cache.install()
    if engine == "auto":
        engine = _choose(prepared, params)
    if engine == "reference":
        from flowc.runtime.executor import check_windows
        from flowc.runtime.reference import run_reference

        check_windows(prepared.plan, params)  # a window or lag a param sets below its least (FL509, FL512)
        start = time.perf_counter()
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is FL611 below, not a warning
            ledger = run_reference(prepared.analysis, prepared.market, list(params), trade_from=trade_from,
                                   replays=prepared.replays)
        prepared.timings.run = time.perf_counter() - start
        check_overflow(ledger.fills, prepared.market, trade_from)
        return ledger
    from flowc.runtime.executor import compile_plan, run_program

    one = prepared.market.n_symbols == 1  # the program specialised for one symbol (`codegen.one_symbol`)
    if prepared.program is None or prepared.program.one != one:
        from flowc.runtime import prewarm

        child = prewarm.start()  # the summary's kernels compile meanwhile, in another process
        try:
            start = time.perf_counter()
            prepared.program = compile_plan(prepared.plan, one)
            prepared.timings.compile += time.perf_counter() - start
            prepared.machine_code = _machine_code(prepared.program, prepared.market.complete)
            start = time.perf_counter()
            _warm_up(prepared, params)
            prepared.timings.jit = time.perf_counter() - start
        finally:
            prewarm.finish(child)
    start = time.perf_counter()
    ledger = run_program(prepared.program, prepared.market, prepared.owner, prepared.symlit, params,  # type: ignore
                         trade_from, prepared.inputs(), signals=signals)
    prepared.timings.run = time.perf_counter() - start
    check_overflow(ledger.fills, prepared.market, trade_from)
    return ledger


def _machine_code(program, complete: bool) -> str:
    """Where the program's machine code comes from, and which program it is (`run -v`)."""
    from flowc.runtime.executor import presence_form
    from flowc.runtime.interpret import on_disk

    how = "loaded from numba's cache" if on_disk(program.function, presence_form(complete)) else "compiled"
    which = "the program specialised for one symbol" if program.one else "the program"
    return f"{how}: {which}, {program.path.name}"


def _choose(prepared: Prepared, params: np.ndarray) -> str:
    """The engine for `auto`: when the reference answers, the program compiles in the background for the next run."""
    from flowc.runtime import tiers
    from flowc.runtime.executor import compile_plan

    market = prepared.market
    if prepared.program is not None and prepared.program.one == (market.n_symbols == 1):
        prepared.choice = tiers.Choice("compiled", "its program was compiled by an earlier run of this process")
        return "compiled"
    program = compile_plan(prepared.plan, market.n_symbols == 1)
    prepared.choice = tiers.choose(program, market.n_symbols, market.n_steps, market.complete)
    if prepared.choice.engine == "reference" and not prepared.choice.cached:
        prepared.background = tiers.compile_later(program, _head(market), prepared.owner, prepared.symlit, params,
                                                  prepared.inputs(slice(0, HEAD_STEPS)), market.complete)
    return prepared.choice.engine


def check_settings(plan: Plan, params: np.ndarray) -> None:
    """FL509 for a setting given by a param whose value the run cannot use (cash <= 0, a negative commission, ...).

    Literals are checked when the file is bound; a param's value is known only here (its default,
    `--set` or a sweep point).
    """
    from flowc.compiler.ir import DataConfig, ExecutionConfig, PortfolioConfig, RiskConfig

    problems = []
    for node in plan.nodes:
        config = node.container.config
        limits: list[tuple[str, object, str]] = []
        if isinstance(config, PortfolioConfig):
            limits += [("cash", config.cash, "above 0"), ("max_leverage", config.max_leverage, "above 0"),
                       (CARRY_SETTINGS["interest"][config.interest_yearly], config.interest, "at least 0"),
                       (CARRY_SETTINGS["borrow_fee"][config.borrow_fee_yearly], config.borrow_fee, "at least 0")]
        elif isinstance(config, DataConfig) and config.contract is not None:
            limits += [("multiplier", config.contract.multiplier, "above 0"),
                       ("margin", config.contract.margin, "at least 0")]
        elif isinstance(config, RiskConfig):
            limits += [("max_position", config.max_position, "at least 0"),
                       ("max_drawdown", config.max_drawdown, "at least 0")]
        elif isinstance(config, ExecutionConfig):
            fees = (*config.commission, *([config.max_commission] if config.max_commission else []))
            limits += [*(("commission", rate, "at least 0") for fee in fees for rate in fee.rates),
                       ("min_commission", config.min_commission, "at least 0"),
                       ("slippage", config.slippage, "at least 0"), ("entry_spread", config.entry_spread, "at least 0"),
                       ("max_participation", config.max_participation, "above 0")]
        for setting, slot, rule in limits:
            if slot is None or plan.param_names[slot.index] is None:  # absent, or a literal (checked when bound)
                continue
            value = float(params[slot.index])
            ok = np.isfinite(value) and (value > 0 if rule == "above 0" else value >= 0)
            if not ok:
                problems.append(diagnose("FL509", None, detail=f"`{setting}` of `{node.path}` is {value:g} (the param "
                                               f"`{plan.param_names[slot.index]}`); it must be {rule}"))
        if isinstance(config, ExecutionConfig):
            problems += _tier_sizes(plan, node.path, config, params)
    if problems:
        raise FlowError(problems)


def _tier_sizes(plan: Plan, path: str, config: ExecutionConfig, params: np.ndarray) -> list[Diagnostic]:
    """FL509 where a param makes the sizes of `per_share_tiers` not increase (literals are checked when bound)."""
    problems = []
    for fee in config.commission:
        before = 0.0
        for size, _ in fee.tiers:
            value = float(params[size.index])
            name = plan.param_names[size.index]
            if not value > before and name is not None:
                problems.append(diagnose("FL509", None, detail=f"a size of `per_share_tiers` of `{path}` is "
                                         f"{value:g} (the param `{name}`), not above {before:g}"))
            before = value
    return problems


def check_overflow(fills: np.ndarray, market: MarketData, trade_from: int) -> None:
    """FL611 at the first fill a float cannot hold (`ledger.first_overflow`); the same for every engine."""
    at = first_overflow(fills["step"], fills["quantity"], fills["price"], fills["commission"])
    if at is None:
        return
    f = fills[at]
    step = int(f["step"])
    stamp = np.datetime_as_string(market.timestamps[step], "s") if 0 <= step < market.n_steps else "?"
    symbol = market.symbols[int(f["symbol"])] if 0 <= int(f["symbol"]) < market.n_symbols else "?"
    raise FlowError([diagnose(
        "FL611", None, "a size grew beyond any account: lower `size` (percent_equity, fixed) or set `max_position`",
        detail=f"the run overflowed at step {step - trade_from} ({stamp}), {symbol}: a fill of "
               f"{float(f['quantity']):.6g} at {float(f['price']):.6g} (commission {float(f['commission']):.6g}) "
               "is more than a float can hold")])


def _warm_up(prepared: Prepared, params: np.ndarray) -> None:
    """Compile (or load from numba's cache) by running on the first few steps, so timings separate JIT."""
    from flowc.runtime.executor import run_program

    run_program(prepared.program, _head(prepared.market), prepared.owner, prepared.symlit, params,  # type: ignore
                inputs=prepared.inputs(slice(0, HEAD_STEPS)), complete=prepared.market.complete)


HEAD_STEPS = 2  # steps a run on the head of the data takes: enough to call every function of the program


def _head(market: MarketData) -> MarketData:
    return slice_market(market, 0, min(HEAD_STEPS, market.n_steps))
