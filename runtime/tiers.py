"""Which engine answers a run, and what compiles in the background for the next one.

A topology's first run would wait for numba to compile its program, seconds per container,
where the plain-Python reference engine answers a small run in a fraction of that, with the
same bits (both are held to that by the differential and property tests). `choose` estimates
both costs: the compiled engine answers when its program is at hand (compiled in this process or
in numba's cache) or when interpreting would take longer than compiling; otherwise the reference
engine answers, and `compile_later` starts a detached child that compiles the program and the
summary's kernels into the caches, so the next run of the topology, or a sweep of it, is compiled.

Measured on a 2-core VM (`benchmarks/startup.py`): the reference engine takes about 4 us per
container, symbol and step; numba about 1 s plus 0.45 s per container to compile a program.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from flowc.dsl.cache import user_cache_dir

REFERENCE_SECONDS = 5e-6  # per container, symbol and step, a little above what the reference engine takes
COMPILE_SECONDS = (1.0, 0.45)  # numba's fixed cost, and its cost per container
POINT_SECONDS = 5e-4  # a sweep point taken through Python rather than the batch driver, besides its engine time
STALE_SECONDS = 900.0  # a background compile's lock older than this was left by a child that died
BACKGROUND = "FLOWC_BACKGROUND_COMPILE"  # set to 0 to never start a background compile


@dataclass(frozen=True)
class Choice:
    engine: str  # "compiled" or "reference"
    reason: str  # in words, for `flowc run -v`


def estimate(n_containers: int, n_symbols: int, n_steps: int) -> tuple[float, float]:
    """Seconds the reference engine would take to run, and numba to compile the program."""
    fixed, per_container = COMPILE_SECONDS
    return REFERENCE_SECONDS * n_containers * n_symbols * n_steps, fixed + per_container * n_containers


def choose(program, n_symbols: int, n_steps: int) -> Choice:
    """The engine for one run of `program` (an `executor.Program`, generated and imported, maybe not compiled)."""
    from flowc.runtime.interpret import compiled

    if compiled(program.function):
        return Choice("compiled", "its program is compiled (numba's cache holds it)")
    interpreting, compiling = estimate(len(program.plan.nodes), n_symbols, n_steps)
    if interpreting < compiling:
        return Choice("reference", f"its program is not compiled yet: about {interpreting:.2g}s to interpret "
                                   f"against {compiling:.2g}s to compile")
    return Choice("compiled", f"interpreting would take about {interpreting:.2g}s, compiling {compiling:.2g}s")


def compile_later(program, head, owner: np.ndarray, symlit: np.ndarray, params: np.ndarray,
                  inputs: dict[str, np.ndarray]) -> bool:
    """Start a detached child compiling `program` and the summary's kernels into the caches.

    False when disabled (`FLOWC_BACKGROUND_COMPILE=0`) or when another child is compiling the
    same program. The child runs the program on `head`, the first steps of the run's data with
    their `inputs` (which compiles every function it calls for the types a run passes), then a
    small summary; the lock goes with it.
    """
    if os.environ.get(BACKGROUND, "1") == "0":
        return False
    lock = _lock(program.key)
    if lock is None:
        return False
    job = (program.plan, head, owner, symlit, params, inputs, str(lock))
    handle, path = tempfile.mkstemp(prefix="flowc-compile-", suffix=".pkl")
    with os.fdopen(handle, "wb") as f:
        pickle.dump(job, f)
    subprocess.Popen([sys.executable, "-m", "flowc.runtime.tiers", path], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                     env={**os.environ, BACKGROUND: "0"})
    return True


def _lock(key: str) -> Path | None:
    """The lock of a background compile of the program `key`, taken; None if a live child holds it."""
    folder = user_cache_dir() / "programs"
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / f"flowc_{key}.compiling"
    try:
        if time.time() - lock.stat().st_mtime > STALE_SECONDS:
            lock.unlink(missing_ok=True)
    except FileNotFoundError:
        pass
    try:
        os.close(os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return None
    return lock


def _compile(job_path: str) -> None:
    """The child: compile the program by running it on the head of the data, then the summary's kernels."""
    from flowc.runtime import prewarm
    from flowc.runtime.executor import compile_plan, run_program

    with open(job_path, "rb") as f:
        plan, head, owner, symlit, params, inputs, lock = pickle.load(f)
    os.unlink(job_path)
    try:
        run_program(compile_plan(plan), head, owner, symlit, params, inputs=inputs)
        prewarm.summarise_a_small_run()
    finally:
        Path(lock).unlink(missing_ok=True)


if __name__ == "__main__":
    _compile(sys.argv[1])
