"""A chunk of sweep points as one jitted call: a generated driver loops over their parameter rows.

Why: one point's compiled run over the bundled 5,031 bars takes about a tenth of a millisecond,
and taking each point through Python (allocating two dozen buffers, a ledger, trade and metric
tables) cost five times that. The driver, generated per program and cached beside it, takes a
`[K, n_params]` matrix: for each row it allocates the program's buffers (shapes computed here
by the executor's `buffer_shape`, so there is one rule for them), calls `program`, and keeps the
point's equity, exposure and fills. `batch_metrics_nb` then gives each point's metrics with
`ledger_metrics_nb`, the function a single run's `summarise` uses, so a batched point equals its
single run to the bit. (Calling it inside the driver would link it there, and LLVM would
optimise it again for every program: seconds of compilation per topology.)

Points of a chunk that differ only after the hoisted prefix (risk, execution, portfolio
settings) run next to each other and keep the prefix's buffers (`reuse_prefix`). Checks that
need Python (FL509 windows) run first; a point failing one is a failed row. If the driver
raises, the chunk's points run one at a time (`task.run_task`) so that only the culprit fails.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numba import njit

from flowc.compiler.codegen import FIXED_ARGS, MARKET_ARGS
from flowc.compiler.contracts import symbol_contracts
from flowc.compiler.schema import Roles
from flowc.runtime.data import MarketData
from flowc.runtime.executor import (
    DTYPES,
    Program,
    buffer_dims,
    buffer_shape,
    check_windows,
    load_generated,
    presence_form,
    program_present,
)
from flowc.runtime.interpret import in_process, on_disk
from flowc.runtime.ledger import FILL_DTYPE, first_overflow
from flowc.runtime.manager import Prepared, check_settings
from flowc.runtime.metrics import METRIC_KEYS, as_metrics, as_us, known_periods, ledger_metrics_nb
from flowc.runtime.sweep.job import Job, Loaded, load
from flowc.runtime.sweep.task import Row, Task, message, row, run_task
from flowc.runtime.tiers import POINT_SECONDS, compile_seconds

DRIVER_ARGS = ("params", "reuse", "shapes", "trade_from", "equity_out", "exposed_out", "fills_out", "offsets")


def run_chunk(job: Job, tasks: list[Task]) -> list[Row]:
    """Every task of a chunk, in order; a job that cannot be prepared here fails each of them."""
    try:
        loaded = load(job)
    except Exception as exc:
        text = message(exc)
        return [row(task, {}, "failed", text) for task in tasks]
    if job.engine != "compiled" or not batched(loaded, job.points):
        return [run_task(loaded, task, job.engine) for task in tasks]
    return run_batch(loaded, tasks)


def batched(loaded: Loaded, points: int) -> bool:
    """Whether a sweep of `points` runs in the driver: it is compiled already, or compiling it costs less
    than taking the points one by one through Python with the program the driver would call.

    The driver links the program into itself, so its compile costs about as much as the program's:
    a small sweep of a topology that a single run compiled need not wait for it (`tiers`).
    """
    loaded.compiled()
    program: Program = loaded.prepared.program  # type: ignore[assignment]
    driven, accepts = driver(program), presence_form(loaded.prepared.market.complete)
    return in_process(driven, accepts) or on_disk(driven, accepts) or \
        points * POINT_SECONDS > compile_seconds(len(program.plan.nodes))


def run_batch(loaded: Loaded, tasks: list[Task]) -> list[Row]:
    """The rows of compiled tasks, one driver call per run of tasks over the same steps."""
    rows: list[Row] = []
    begin = 0
    for end in range(1, len(tasks) + 1):
        if end == len(tasks) or _steps(tasks[end]) != _steps(tasks[begin]):
            rows.extend(_run_window(loaded, tasks[begin:end]))
            begin = end
    return rows


def _steps(task: Task) -> tuple[int, int, int]:
    return task.start, task.stop, task.trade_from


def _run_window(loaded: Loaded, tasks: list[Task]) -> list[Row]:
    """Tasks over the same steps: checked one by one, then run together by the driver."""
    started = time.perf_counter()
    first = tasks[0]
    loaded.compiled()
    windowed = loaded.window(first.start, first.stop if first.stop >= 0 else loaded.prepared.market.n_steps)
    program: Program = windowed.program  # type: ignore[assignment]
    found: dict[int, Row] = {}
    vectors: dict[int, np.ndarray] = {}
    for i, task in enumerate(tasks):
        try:
            vector = windowed.params(task.values)
            check_windows(program.plan, vector)
            check_settings(program.plan, vector)
            vectors[i] = vector
        except Exception as exc:
            found[i] = row(task, {}, "failed", message(exc))
    if vectors:
        prefix = list(program.generated.prefix_slots)
        order = sorted(vectors, key=lambda i: vectors[i][prefix].tobytes())  # equal prefixes side by side
        try:
            metrics, fills, offsets = _drive(windowed, program, np.array([vectors[i] for i in order]),
                                             first.trade_from, loaded.periods_per_year)
        except Exception:  # a point the driver cannot run: run each alone, so that only it fails
            return [run_task(loaded, task) for task in tasks]
        seconds = (time.perf_counter() - started) / len(tasks)
        for k, (i, values) in enumerate(zip(order, metrics, strict=True)):
            mine = fills[offsets[k]:offsets[k + 1]]
            if first_overflow(mine[:, 0], mine[:, 2], mine[:, 3], mine[:, 4]) is not None:
                found[i] = run_task(loaded, tasks[i])  # alone, for the FL611 of a single run
            else:
                found[i] = row(tasks[i], as_metrics(values), "ok", None, seconds)
    return [found[i] for i in range(len(tasks))]


def _drive(prepared: Prepared, program: Program, params: np.ndarray, trade_from: int,
           periods_per_year: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The metrics rows of the points `params` (checked, equal prefixes adjacent) over the prepared steps,
    with the fills (rows in FILL_DTYPE's layout) and each point's offset into them."""
    g, market = program.generated, prepared.market
    prefix = list(g.prefix_slots)
    reuse = np.zeros(len(params), dtype=np.bool_)
    if g.reuses_prefix:
        reuse[1:] = np.all(params[1:, prefix] == params[:-1, prefix], axis=1) if prefix else True
    k, steps = len(params), market.n_steps - trade_from
    equity, exposed = np.empty((k, steps, len(g.portfolios))), np.empty((k, steps), dtype=np.bool_)
    offsets = np.zeros(k + 1, dtype=np.int64)
    inputs = prepared.inputs()
    if any(b.source == "time" for b in g.buffers):  # the calendar operators' timestamps
        inputs["time"] = market.seconds
    fills = driver(program)(market.open, market.high, market.low, market.close, market.volume, program_present(market),
                            prepared.owner, prepared.symlit, params, reuse, _shapes(program, market, params),
                            trade_from, equity, exposed, np.empty((64 * k, len(FILL_DTYPE))), offsets,
                            *(inputs[b.source] for b in g.buffers if b.source))
    timestamps = np.ascontiguousarray(as_us(market.timestamps[trade_from:]))
    cash_slots = [program.plan.node(p).container.config.cash.index for p in g.portfolios]
    data = [n.container for n in program.plan.of_role(Roles.DATA)]
    multipliers = np.array([symbol_contracts(data, prepared.owner, point)[1] for point in params])
    metrics = batch_metrics_nb(equity, exposed, np.ascontiguousarray(params[:, cash_slots]), fills,
                               fills.view(np.int64), offsets, timestamps,
                               known_periods(timestamps, periods_per_year), int(market.present[trade_from:].sum()),
                               market.n_symbols, multipliers)
    return metrics, fills, offsets


def _shapes(program: Program, market: MarketData, params: np.ndarray) -> np.ndarray:
    """`[K, n_buffers, max_ndim]`: every buffer's shape at every point (only param-sized ones vary)."""
    buffers = program.generated.buffers
    dims = buffer_dims(program.generated, market)
    shapes = np.zeros((len(params), len(buffers), max(len(b.shape) for b in buffers)), dtype=np.int64)
    for i, b in enumerate(buffers):
        if b.source is not None:
            continue
        for k in range(len(params)) if b.param_shaped else (0,):
            shape = buffer_shape(b, dims, params[k])
            shapes[k if b.param_shaped else slice(None), i, :len(shape)] = shape
    return shapes


# ---- the generated driver ---------------------------------------------------------------

_DRIVERS: dict[str, Callable] = {}


def driver(program: Program) -> Callable:
    """The jitted driver of a program: generated, written beside it in the cache and imported once."""
    found = _DRIVERS.get(program.key)
    if found is None:
        source = driver_source(program)
        digest = hashlib.sha256(source.encode())
        digest.update(Path(__file__).read_bytes())  # numba does not notice when a callee (append_rows_nb) changes
        key = digest.hexdigest()[:24]
        _, module = load_generated(f"flowc_batch_{key}.py", f"flowc_batch_{key}", source)
        found = _DRIVERS[program.key] = module.batch
    return found


def driver_source(program: Program) -> str:
    """The source of the driver: one loop over the points, allocating buffers, running, keeping the records."""
    g = program.generated
    allocated = [(i, b) for i, b in enumerate(g.buffers) if b.source is None]
    inputs = [b.name for b in g.buffers if b.source is not None]
    call = {"p": "p", "trade_from": "trade_from", "reuse_prefix": "reuse[k]"}
    lines = [
        f'"""Generated by flowc: the sweep driver of program {program.key}. Do not edit."""',
        "",
        "import numpy as np",
        "from numba import njit",
        "",
        f"from {program.module.__name__} import program",
        "from flowc.runtime.sweep.batch import append_rows_nb",
        "",
        "",
        '@njit(cache=True, error_model="numpy")',
        f"def batch({', '.join([*MARKET_ARGS, *DRIVER_ARGS, *inputs])}):",
    ]
    body = [f"{b.name} = np.empty({(0,) * len(b.shape)}, {_dtype(b.dtype)})" for _, b in allocated if b.prefix]
    body.append("for k in range(params.shape[0]):")
    loop = ["p = params[k]"]
    for i, b in allocated:  # np.empty then a fill: numba compiles it faster than np.full
        shape = ", ".join(f"shapes[k, {i}, {d}]" for d in range(len(b.shape)))
        full = [f"{b.name} = np.empty(({shape},), {_dtype(b.dtype)})"]
        if b.fill is not None:  # None: the program writes every element
            full.append(f"{b.name}[...] = {_literal(b.fill)}")
        loop += ["if not reuse[k]:", *("    " + line for line in full)] if b.prefix else full
    arguments = [call.get(a, a) for a in FIXED_ARGS] + [b.name for b in g.buffers]
    loop += [f"orders, fills = program({', '.join(arguments)})",
             "for t in range(equity_out.shape[1]):  # loops: numba compiles slice assignments far slower",
             "    exposed_out[k, t] = exposed[trade_from + t]",
             "    for j in range(equity_out.shape[2]):",
             "        equity_out[k, t, j] = equity[trade_from + t, j]",
             "fills_out = append_rows_nb(fills_out, offsets[k], fills, cnt[1])",
             "offsets[k + 1] = offsets[k] + cnt[1]"]
    body += ["    " + line for line in loop]
    body.append("return fills_out")
    return "\n".join(lines + ["    " + line for line in body]) + "\n"


@njit(cache=True)
def append_rows_nb(table: np.ndarray, at: int, rows: np.ndarray, n: int) -> np.ndarray:
    """`rows[:n]` copied into `table` from row `at`, in a table twice as large if it is full."""
    if at + n > table.shape[0]:
        larger = np.empty((max(2 * table.shape[0], at + n), table.shape[1]))
        for i in range(at):
            for j in range(table.shape[1]):
                larger[i, j] = table[i, j]
        table = larger
    for i in range(n):
        for j in range(table.shape[1]):
            table[at + i, j] = rows[i, j]
    return table


_STEP, _SYMBOL, _QUANTITY, _PRICE, _COMMISSION, _PORTFOLIO, _RISK = (FILL_DTYPE.names.index(name) for name in (
    "step", "symbol", "quantity", "price", "commission", "portfolio", "risk"))


@njit(cache=True, error_model="numpy")
def batch_metrics_nb(equity: np.ndarray, exposed: np.ndarray, cash0: np.ndarray, fills: np.ndarray,
                     whole: np.ndarray, offsets: np.ndarray, timestamps: np.ndarray, periods: float, bars: int,
                     n_symbols: int, multipliers: np.ndarray) -> np.ndarray:
    """`[K, n_metrics]`: each point's `ledger_metrics_nb` from the driver's records (its fills are rows
    `offsets[k]:offsets[k + 1]`, `whole` their int64 view for the whole-number fields; `multipliers`
    `[K, S]` each point's symbols' multipliers); compiled once for every program."""
    out = np.empty((equity.shape[0], len(METRIC_KEYS)))
    for k in range(equity.shape[0]):  # loops, not slices and astype: numba compiles them far faster
        n = offsets[k + 1] - offsets[k]
        step, symbol, portfolio = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64)
        risk = np.empty(n, np.int64)
        quantity, price, commission = np.empty(n), np.empty(n), np.empty(n)
        for i in range(n):
            row, ints = fills[offsets[k] + i], whole[offsets[k] + i]
            step[i], symbol[i], portfolio[i], risk[i] = ints[_STEP], ints[_SYMBOL], ints[_PORTFOLIO], ints[_RISK]
            quantity[i], price[i], commission[i] = row[_QUANTITY], row[_PRICE], row[_COMMISSION]
        values = ledger_metrics_nb(equity[k], exposed[k], cash0[k], step, symbol, quantity, price, commission,
                                   portfolio, risk, timestamps, periods, bars, n_symbols, multipliers[k])
        for j in range(len(values)):
            out[k, j] = values[j]
    return out


def _dtype(name: str) -> str:
    return f"np.{DTYPES[name].__name__}"


def _literal(value: float | int | bool) -> str:
    """A fill value as source text."""
    if isinstance(value, float) and not math.isfinite(value):
        return "np.nan" if math.isnan(value) else f"{'-' if value < 0 else ''}np.inf"
    return repr(value)
