"""The local process pool: one worker process per core, chunks of points sent to whichever is free.

Workers are forked where the platform allows it, after the client has prepared the job and
compiled its program, so a worker starts with both in memory (elsewhere each worker prepares
the job once and loads the program from the on-disk cache). Workers ignore SIGINT: Ctrl-C
reaches the client, which cancels the chunks not started and stops the pool.

A worker that dies (killed, out of memory, a crash in native code) breaks the whole pool in
`concurrent.futures`. The chunks not finished are then run again on a new pool. If the pool
breaks again, the rest runs one point at a time, each alone on the pool, so the point that
kills its worker is found and recorded as failed while every other point finishes.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from flowc.runtime.sweep.batch import run_chunk
from flowc.runtime.sweep.job import Job
from flowc.runtime.sweep.task import Row, Task, row

RESTARTS = 2  # pool breaks tolerated before points run one at a time


def _quiet_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


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
        self._pool = ProcessPoolExecutor(workers, mp_context=_context(), initializer=_quiet_worker)
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
