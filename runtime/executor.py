"""The executor of a compiled plan: cache the generated module, allocate its buffers, run it.

The generated module is written once under a content-addressed name in the
per-user cache, keyed by the plan's structure, the source of every kernel
and the versions of Python, numba and flowc (numba does not notice when a
callee changes). numba's own on-disk cache then makes a second run start
without compiling. Parameters and data are arguments, never part of the key.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

from flowc.compiler.codegen import FIXED_ARGS, RECORDS, Buffer, Generated, Sizes, generate, tile_steps
from flowc.compiler.components import LAGGED
from flowc.compiler.contracts import symbol_contracts
from flowc.compiler.plan import Plan
from flowc.compiler.schema import Roles
from flowc.dsl.cache import user_cache_dir
from flowc.dsl.diagnostics import FlowError, diagnose
from flowc.runtime.data import MarketData
from flowc.runtime.files import write_text
from flowc.runtime.ledger import FILL_DTYPE, ORDER_DTYPE, UNFILLED_DTYPE, Ledger, in_order

KERNEL_DIR = Path(__file__).parent / "kernels"


@dataclass
class PrefixOutputs:
    """The hoisted prefix's buffers of the last run, and exactly what they were computed from."""

    market: MarketData
    inputs: tuple[int, ...]  # ids of the replayed arrays (kept alive by `arrays`)
    values: bytes  # the prefix's parameter values
    arrays: dict[str, np.ndarray]


@dataclass
class Program:
    plan: Plan
    generated: Generated
    key: str
    path: Path
    module: ModuleType
    one: bool = False  # specialised for one symbol: runs only on such market data
    prefix: PrefixOutputs | None = None  # points that differ only after the prefix share its outputs

    @property
    def function(self):
        return self.module.program


def _versions() -> str:
    import numba

    from flowc.dsl.version import version

    return f"python {sys.version.split()[0]} numba {numba.__version__} numpy {np.__version__} flowc {version()}"


def _kernel_sources(plan: Plan) -> str:
    """A digest of every kernel the program may call: the standard ones and the plugins' modules."""
    import importlib

    from flowc.compiler.components import series_component

    paths = set(KERNEL_DIR.glob("*.py"))
    for node in plan.nodes:
        for state in node.states:
            contract = series_component(state.component)
            if contract is not None and contract.kernel is not None:
                module = importlib.import_module(contract.kernel.split(":")[0])
                if getattr(module, "__file__", None):
                    paths.add(Path(module.__file__))
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_key(plan: Plan, source: str, one: bool = False) -> str:
    """The name of a program in the cache: a new one for a new plan, kernel, version or generated source.

    The source is in it because numba does not notice when a callee changes: the sweep driver, which
    calls the program, is cached by its own source (`batch.driver`), and names the program's module.
    """
    text = "\n".join((plan.structure(), source, _kernel_sources(plan), _versions(), "one symbol" if one else ""))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def compile_plan(plan: Plan, one: bool = False) -> Program:
    """Generate (or find in the cache) the program of a plan and import it; with `one`, the program
    specialised for market data of one symbol (`codegen.one_symbol`)."""
    generated = generate(plan, one)
    key = cache_key(plan, generated.source, one)
    path, module = load_generated(f"flowc_{key}.py", f"flowc_program_{key}", generated.source)
    return Program(plan, generated, key, path, module, one)


def load_generated(filename: str, name: str, source: str) -> tuple[Path, ModuleType]:
    """Write generated source into the cache (unless it is there already) and import it as module `name`, once."""
    folder = user_cache_dir() / "programs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / filename
    if not path.exists() or path.read_text(encoding="utf-8") != source:
        write_text(path, source)
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return path, module


def check_windows(plan: Plan, params: np.ndarray) -> None:
    """A window given by a param is checked when its value is known (FL509)."""
    problems = []
    for node in plan.nodes:
        for state in node.states:
            slot = state.size_slot
            if slot is None:
                continue
            value = params[slot.index]
            least = 2 if state.component in ("stdev", "zscore", "cov", "corr") else 1
            if not (value == int(value) and value >= least):
                name = plan.param_names[slot.index] or "a literal"
                lag = state.component in LAGGED  # a lag below 1 would read the future: FL512
                problems.append(diagnose(
                    "FL512" if lag else "FL509", node.container.settings[0].span if node.container.settings else None,
                    detail=f"the {'lag' if lag else 'window'} of `{state.component}` in `{node.path}` is {value:g} "
                           f"(from {name}); it must be a whole number >= {least}"))
    if problems:
        raise FlowError(problems)


RECORD_CAPACITY = {"orders": 1024, "fills": 1024}  # rows of the record tables at the start; the program grows them
DTYPES = {"f8": np.float64, "i8": np.int64, "bool": np.bool_}


def buffer_dims(generated: Generated, market: MarketData) -> Sizes:
    """What a run fixes of the buffers' shapes (`codegen.contract`): steps, symbols, portfolios, records' room."""
    return Sizes(market.n_steps, market.n_symbols, len(generated.portfolios), RECORD_CAPACITY)


def buffer_shape(buffer: Buffer, sizes: Sizes, params: np.ndarray, *, whole: bool = True) -> tuple[int, ...]:
    """The shape of one buffer; a hoisted output holds one tile's steps unless `whole` (see `codegen.program`)."""
    shape = buffer.resolve(sizes, params)
    if buffer.tiled and not whole:
        return (min(shape[0], tile_steps(sizes.symbols)), *shape[1:])
    return shape


def run_program(program: Program, market: MarketData, owner: np.ndarray, symlit: np.ndarray,
                params: np.ndarray, trade_from: int = 0, inputs: Mapping[str, np.ndarray] | None = None, *,
                signals: bool = False, complete: bool | None = None) -> Ledger:
    """Run the compiled program once over the market data with one parameter vector.

    Risk containers act only at steps >= `trade_from`; earlier steps warm up every state. `inputs`
    holds the arrays of buffers the program reads rather than fills (replayed signals).

    With `signals`, the hoisted prefix's outputs (features, regimes, signals) are kept for every
    step: the ledger carries the strategies' signals, and the next run reuses the outputs instead
    of recomputing them when its market, inputs and the parameters the prefix reads are the same
    (unless the program computes its prefix at every call: `Generated.reuses_prefix`; its outputs
    are kept all the same, for `features`).
    Without, the program keeps one tile of them at a time (`codegen.program`).

    `complete` (default: whether `market` is) picks the program's kind of `present` (`program_present`):
    a run on the head of the data passes the whole data's, so that it compiles the kind the run uses.
    """
    check_windows(program.plan, params)
    g = program.generated
    dims = buffer_dims(g, market)
    inputs = dict(inputs or {})
    key = (tuple(id(a) for a in inputs.values()), params[list(g.prefix_slots)].tobytes())
    cached = program.prefix if signals and g.reuses_prefix else None
    reuse = cached is not None and cached.market is market and (cached.inputs, cached.values) == key
    buffers = {}
    for b in g.buffers:
        if b.source == "time" and "time" not in inputs:  # the calendar operators' timestamps
            buffers[b.name] = market.seconds
        elif b.source is not None:
            buffers[b.name] = inputs[b.source]
        elif reuse and b.prefix:
            buffers[b.name] = cached.arrays[b.name]  # type: ignore[union-attr]
        else:
            shape = buffer_shape(b, dims, params, whole=signals)
            dtype = DTYPES[b.dtype]
            buffers[b.name] = allocate(shape, dtype, b.fill)
    present = program_present(market, complete)
    fixed = dict(zip(FIXED_ARGS, (market.open, market.high, market.low, market.close, market.volume, present,
                                  owner, symlit, params, trade_from, reuse), strict=True))
    buffers["orders"], buffers["fills"] = program.function(*fixed.values(), *buffers.values())
    if not reuse:
        arrays = {b.name: buffers[b.name] for b in g.buffers if b.prefix}
        program.prefix = PrefixOutputs(market, key[0], key[1], {**arrays, **inputs}) if arrays and signals else None
    return _ledger(program, buffers, market.n_symbols, params, signals, owner)


def allocate(shape: tuple[int, ...], dtype: np.dtype, fill: float | int | bool | None) -> np.ndarray:
    """A buffer as the program expects it: uninitialised (`fill` None), zeros, or filled.

    Zeros come from `np.zeros`: fresh pages are zero already, so a large buffer (the exposure of
    1M steps) is not written twice, once here and once by the program.
    """
    if fill is None:
        return np.empty(shape, dtype)
    return np.zeros(shape, dtype) if fill == 0 else np.full(shape, fill, dtype)


def presence_form(complete: bool) -> Callable[[tuple], bool]:
    """Whether a signature of a program (or its sweep driver) is the one compiled for `complete` data:
    `present` is None there and an array elsewhere, two entries in numba's caches."""
    from numba.core import types  # numba is imported where a program runs, not where this module is

    at = FIXED_ARGS.index("present")
    return lambda signature: isinstance(signature[at], types.NoneType) == complete


def program_present(market: MarketData, complete: bool | None = None) -> np.ndarray | None:
    """The `present` argument of a program: None where every symbol has every bar (`present_nb`)."""
    return None if (market.complete if complete is None else complete) else market.present


def records(table: np.ndarray, n: int, kind: str, dtype: np.dtype) -> np.ndarray:
    """The first `n` rows of a program's record table as the ledger's structured records, without a copy.

    The program writes each row in the record's layout (`codegen.contract.RECORDS`: 8-byte fields, whole
    numbers through an int64 view), so the rows only need to be viewed as records.
    """
    assert tuple(dtype[f].kind for f in dtype.names) == RECORDS[kind] and dtype.itemsize == 8 * len(dtype.names)
    return table[:n].view(dtype).reshape(n)


def _ledger(program: Program, b: dict[str, np.ndarray], n_symbols: int, params: np.ndarray, signals: bool,
            owner: np.ndarray) -> Ledger:
    g, plan = program.generated, program.plan
    _, multiplier, _ = symbol_contracts([n.container for n in plan.of_role(Roles.DATA)], owner, params)
    n_orders, n_fills = int(b["cnt"][0]), int(b["cnt"][1])
    orders = in_order(records(b["orders"], n_orders, "orders", ORDER_DTYPE))
    fills = records(b["fills"], n_fills, "fills", FILL_DTYPE)
    unfilled = []
    for x, path in enumerate(g.executions):
        pending = b[f"pend_{plan.node(path).ident}"]
        working = b.get(f"wq_{plan.node(path).ident}", np.zeros_like(pending))
        for s in range(n_symbols):
            for k in range(pending.shape[0]):
                for q in (pending[k, s], working[k, s]):  # a pending market quantity, a working order
                    if q != 0.0:
                        unfilled.append((s, q, x))
    portfolio_nodes = [plan.node(p) for p in g.portfolios]
    return Ledger(
        portfolios=g.portfolios, risks=g.risks, executions=g.executions,
        cash0=np.array([params[n.container.config.cash.index] for n in portfolio_nodes], dtype=np.float64),
        equity=b["equity"], exposed=b["exposed"],
        positions=np.array([b[f"pos_{n.ident}"] for n in portfolio_nodes]).reshape(len(portfolio_nodes), n_symbols),
        orders=orders, fills=fills, unfilled=np.array(unfilled, dtype=UNFILLED_DTYPE),
        signals={path: (b[f"pres_{plan.node(path).ident}"], b[f"out_{plan.node(path).ident}"][:, :, 0],
                        b[f"out_{plan.node(path).ident}"][:, :, 1]) for path in g.strategies} if signals else None,
        multiplier=multiplier, settled=b.get("settled"),
    )
