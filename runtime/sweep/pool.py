"""The local process pool: one worker process per core, chunks of points sent to whichever is free.

Workers are forked where the platform allows it, after the client has prepared the job and
compiled its program, so a worker starts with both in memory (elsewhere each worker prepares
the job once and loads the program from the on-disk cache). Workers ignore SIGINT: Ctrl-C
reaches the client, which cancels the chunks not started and stops the pool. Workers die
with their client, however it ends (`die_with_parent`): a killed sweep leaves no workers
holding its terminal. There are at most as many workers as cores (`make_executor`).

A worker that dies (killed, out of memory, a crash in native code) breaks the whole pool in
`concurrent.futures`. The chunks not finished are then run again on a new pool. If the pool
breaks again, the rest runs one point at a time, each alone on the pool, so the point that
kills its worker is found and recorded as failed while every other point finishes.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from flowc.runtime.sweep.batch import run_chunk
from flowc.runtime.sweep.job import Job
from flowc.runtime.sweep.task import Row, Task, row

RESTARTS = 2  # pool breaks tolerated before points run one at a time


def _quiet_worker(driver: int | None = None) -> None:
    """A worker's set-up: no SIGINT (the client handles Ctrl-C), and death with its driver."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(driver)


PR_SET_PDEATHSIG = 1


def die_with_parent(driver: int | None) -> None:
    """End this process when `driver` (its parent) ends, however it ends (kill -9 and SIGTERM included).

    On Linux the kernel sends SIGKILL at the parent's death (`prctl(PR_SET_PDEATHSIG)`); a parent
    already gone before that is caught by comparing the parent's pid. Elsewhere a daemon thread
    polls the parent's pid once a second (a worker busy in machine code that holds the GIL notices
    when its point ends).
    """
    if driver is None:
        return
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != driver:
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass
    import threading

    def watch() -> None:
        while os.getppid() == driver:
            time.sleep(1.0)
        os._exit(1)

    if os.getppid() != driver:
        os._exit(1)
    threading.Thread(target=watch, name="flowc-parent-watch", daemon=True).start()


def _context():
    """fork on Linux (workers inherit the prepared job and its program); spawn elsewhere, where fork is unsafe."""
    return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")


class PoolExecutor:
    name = "process"

    def __init__(self, workers: int):
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None

    @property
    def workers(self) -> int:
        return self._workers

    def _new_pool(self, workers: int) -> ProcessPoolExecutor:
        self._shutdown()
        self._pool = ProcessPoolExecutor(workers, mp_context=_context(), initializer=_quiet_worker,
                                         initargs=(os.getpid(),))
        return self._pool

    def start(self, job: Job) -> None:
        """Start the workers now, before a progress thread runs (fork copies only the calling thread)."""
        pool = self._new_pool(self._workers)
        for future in [pool.submit(int) for _ in range(self._workers)]:
            future.result()

    def run(self, job: Job, chunks: Sequence[list[Task]]) -> Iterator[list[Row]]:
        pending = dict(enumerate(chunks))
        try:
            breaks = 0
            while pending and breaks <= RESTARTS:
                pool = self._pool if self._pool is not None and breaks == 0 else self._new_pool(self._workers)
                futures: dict[Future, int] = {pool.submit(run_chunk, job, chunk): i for i, chunk in pending.items()}
                broken = False
                while futures and not broken:
                    done, _ = wait(futures, return_when=FIRST_COMPLETED)
                    for future in done:
                        i = futures.pop(future)
                        try:
                            rows = future.result()
                        except BrokenProcessPool:
                            broken = True
                            continue
                        del pending[i]
                        yield rows
                if broken:
                    breaks += 1
            self._shutdown()
            for i in sorted(pending):  # the pool kept breaking: each point alone, to find the culprit
                for task in pending.pop(i):
                    yield self._alone(job, task)
        except (GeneratorExit, KeyboardInterrupt):  # the client stopped early (Ctrl-C): stop the workers now
            self._shutdown(kill=True)
            raise
        finally:
            self._shutdown()

    def _alone(self, job: Job, task: Task) -> list[Row]:
        pool = self._pool if self._pool is not None else self._new_pool(1)
        try:
            return pool.submit(run_chunk, job, [task]).result()
        except BrokenProcessPool:
            self._shutdown()
            return [row(task, {}, "failed", "the worker process died while running this point")]

    def _shutdown(self, kill: bool = False) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if kill:
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        self._shutdown()
