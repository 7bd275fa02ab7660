"""Which engine answers a run, which form of the summary's kernels, and what compiles in the background.

A topology's first run would wait for numba to compile its program, seconds per container, where
the plain-Python reference engine answers a small run in a fraction of that, with the same bits
(both are held to that by the differential and property tests). Even machine code in numba's
cache is not free: loading it initialises numba's CPU target once per process. `choose` weighs
what each engine would cost this run: the reference's time to interpret, against the compiled
engine's time to initialise the target and load (or compile) its program. When the reference
answers and the program is not compiled, `compile_later` starts a detached child compiling the
program and the summary's kernels into the caches, so a later, larger run or sweep of the topology
finds them. The summary's trade and metric kernels are weighed the same way (`kernel_form`).

Costs measured on a 2-core VM (`benchmarks/startup.py`, `benchmarks/new_topology.py`; the reference
engine and the machine code's load re-measured on 2026-12-03, when `import numpy, numba, pandas` took
0.59 s): a cached program of the bundled sample loads and runs in less time than the reference takes.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from flowc.dsl.cache import user_cache_dir
from flowc.runtime.interpret import Accepts, in_process, interpreted, on_disk, target_ready

REFERENCE_SECONDS = 1e-5  # per container, symbol and step: the reference engine on the examples, 0.86-1.04e-5
COMPILE_SECONDS = (1.0, 0.45)  # numba's fixed cost of compiling a program, and its cost per container
TARGET_SECONDS = 0.18  # numba's CPU target initialisation, once per process, before any machine code runs
LOAD_SECONDS = 0.003  # per container: loading cached machine code (one program of 6-8 containers: 17-22 ms)
SUMMARY_SECONDS = (2e-6, 2.5)  # the summary's kernels: interpreted per equity row and fill; compiled, once
POINT_SECONDS = 5e-4  # a sweep point taken through Python rather than the batch driver, besides its engine time
STALE_SECONDS = 900.0  # a background compile's lock older than this was left by a child that died
BACKGROUND = "FLOWC_BACKGROUND_COMPILE"  # set to 0 to never start a background compile


@dataclass(frozen=True)
class Choice:
    engine: str  # "compiled" or "reference"
    reason: str  # in words, for `flowc run -v`
    cached: bool = False  # whether the program's machine code is compiled (in this process or on disk)


def compile_seconds(n_containers: int) -> float:
    """About how long numba takes to compile a program of `n_containers` containers."""
    fixed, per_container = COMPILE_SECONDS
    return fixed + per_container * n_containers


def machine_code_seconds(kernel, compile_cost: float, n_functions: int = 1, accepts: Accepts | None = None) -> float:
    """What running `kernel` compiled would cost before it runs: nothing, loading it, or compiling it
    (for the signature `accepts` takes, if given: `interpret.on_disk`)."""
    return _seconds(_where(kernel, accepts), compile_cost, n_functions)


def _where(kernel, accepts: Accepts | None) -> str:
    """Where the kernel's machine code is: "process", "disk", or "" (it would compile)."""
    if in_process(kernel, accepts):
        return "process"
    return "disk" if on_disk(kernel, accepts) else ""


def _seconds(where: str, compile_cost: float, n_functions: int) -> float:
    if where == "process":
        return 0.0
    start = 0.0 if target_ready() else TARGET_SECONDS
    return start + (LOAD_SECONDS * n_functions if where == "disk" else compile_cost)


def choose(program, n_symbols: int, n_steps: int, complete: bool) -> Choice:
    """The engine for one run of `program` (an `executor.Program`, generated and imported, maybe not compiled)
    on data that is `complete` or not: numba compiles the program once for each (`executor.presence_form`)."""
    from flowc.runtime.executor import presence_form

    containers = len(program.plan.nodes)
    interpreting = REFERENCE_SECONDS * containers * n_symbols * n_steps
    where = _where(program.function, presence_form(complete))  # numba's cache index is read once
    cached = bool(where)
    compiled = _seconds(where, compile_seconds(containers), containers)
    state = "compiled" if cached else "not compiled yet"
    reason = f"its program is {state}: about {interpreting:.2g}s to interpret against {compiled:.2g}s to " + (
        "load" if cached else "compile")
    return Choice("reference" if interpreting < compiled else "compiled", reason, cached)


def kernel_form(kernel, work: int) -> Callable:
    """The summary's `kernel` compiled, or interpreted where that costs less for `work` rows and fills."""
    per_row, compile_cost = SUMMARY_SECONDS
    return interpreted(kernel) if per_row * work < machine_code_seconds(kernel, compile_cost) else kernel


def compile_later(program, head, owner: np.ndarray, symlit: np.ndarray, params: np.ndarray,
                  inputs: dict[str, np.ndarray], complete: bool) -> bool:
    """Start a detached child compiling `program` and the summary's kernels into the caches.

    False when disabled (`FLOWC_BACKGROUND_COMPILE=0`), when another child is compiling the
    same program, or when it cannot start (a read-only cache, no process to spare): it is only
    a head start, and the run that asked goes on either way. The child runs the program on
    `head`, the first steps of the run's data with their `inputs` and the whole data's `complete`
    (which compiles every function it calls for the types a run passes), then a small summary; the
    lock goes with it.
    """
    if os.environ.get(BACKGROUND, "1") == "0":
        return False
    lock = path = None
    try:
        lock = _lock(program.key)
        if lock is None:
            return False
        job = (program.plan, head, owner, symlit, params, inputs, complete, str(lock))
        handle, path = tempfile.mkstemp(prefix="flowc-compile-", suffix=".pkl")
        with os.fdopen(handle, "wb") as f:
            pickle.dump(job, f)
        subprocess.Popen([sys.executable, "-m", "flowc.runtime.tiers", path], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                         env={**os.environ, BACKGROUND: "0"})
    except OSError:
        for leftover in (lock, path):
            if leftover is not None:
                Path(leftover).unlink(missing_ok=True)
        return False
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
        plan, head, owner, symlit, params, inputs, complete, lock = pickle.load(f)
    os.unlink(job_path)
    try:
        run_program(compile_plan(plan, head.n_symbols == 1), head, owner, symlit, params, inputs=inputs,
                    complete=complete)
        prewarm.summarise_a_small_run()
    finally:
        Path(lock).unlink(missing_ok=True)


if __name__ == "__main__":
    _compile(sys.argv[1])
