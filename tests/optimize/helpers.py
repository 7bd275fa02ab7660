"""Plans with and without the optimisation passes, and a run of a plan without compiling it.

A plan's generated program runs here as plain Python (its module executed again with numba's
jit disabled: the functions numba would compile), calling the same numba kernels: the very code
path of a compiled run, at no compilation cost, so random topologies can be drawn freely (each
compiled topology would cost seconds). `tests/optimize/test_compiled.py` checks the compiled path too.
"""

from __future__ import annotations

import dataclasses
import types
from pathlib import Path
from unittest import mock

import numba
import numpy as np

import flowc.compiler.optimize as optimize
from flowc.compiler.plan import Plan, build_plan
from flowc.runtime.data import MarketData
from flowc.runtime.executor import Program, compile_plan, run_program
from flowc.runtime.ledger import Ledger
from flowc.runtime.manager import Prepared, prepare


def prepared(tmp_path: Path, text: str, name: str = "t") -> Prepared:
    path = tmp_path / f"{name}.flow"
    path.write_text(text)
    return prepare(path)


def raw_plan(p: Prepared, *, hoist: bool = True) -> Plan:
    """The plan as the planner makes it, before any pass."""
    with optimize.passes(()):
        plan, problems = build_plan(p.analysis, hoist=hoist)
    assert plan is not None, problems
    return plan


def passes_alone() -> list:
    return [(p.__module__.rsplit(".", 1)[-1], (p,)) for p in optimize.PIPELINE]


def run_plan(plan: Plan, p: Prepared, market: MarketData | None = None, values: dict | None = None, *,
             signals: bool = True) -> Ledger:
    """Run `plan` on the prepared data (or `market`) as plain Python: no numba compilation.

    With `signals` (the default here) the ledger carries the strategies' signals for `same`.
    """
    market = market or p.market
    program = interpreted(compile_plan(plan, market.n_symbols == 1))
    owner = p.owner if len(p.owner) == len(market.symbols) else np.zeros(len(market.symbols), dtype=np.int64)
    symlit = p.symlit if len(p.symlit) == len(market.symbols) else np.full(len(market.symbols), -1, dtype=np.int64)
    with np.errstate(all="ignore"):
        return run_program(program, market, owner, symlit, p.params(values), signals=signals)


def interpreted(program: Program) -> Program:
    """The program with its generated module's `program` and the functions it calls as plain Python (numba's
    jit disabled). Generating, writing and importing the module compiles nothing."""
    namespace: dict = {"__name__": f"interpreted_{program.key}"}
    with mock.patch.object(numba.config, "DISABLE_JIT", True):
        exec(compile(program.generated.source, str(program.path), "exec"), namespace)
    return dataclasses.replace(program, module=types.SimpleNamespace(program=namespace["program"]))


def same(a: Ledger, b: Ledger) -> bool:
    """Bit-identical ledgers, the signals of every strategy included."""
    if not a.same_as(b):
        return False
    sa, sb = a.signals or {}, b.signals or {}
    if sa.keys() != sb.keys():
        return False
    return all(np.array_equal(x, y, equal_nan=True) for k in sa for x, y in zip(sa[k], sb[k], strict=True))


def random_market(symbols: tuple[str, ...], steps: int, seed: int, holes: float) -> MarketData:
    """A random walk with some bars missing (never the first step)."""
    rng = np.random.default_rng(seed)
    shape = (steps, len(symbols))
    close = 50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, shape), axis=0))
    open_ = close * np.exp(rng.normal(0.0, 0.005, shape))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.01, shape))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.01, shape))
    present = rng.uniform(size=shape) >= holes
    present[0] = True
    arrays = [np.where(present, a, np.nan) for a in (open_, high, low, close, np.full(shape, 1e6))]
    stamps = np.datetime64("2001-01-01", "us") + np.arange(steps) * np.timedelta64(86_400_000_000, "us")
    return MarketData(symbols, stamps, *arrays, present)
