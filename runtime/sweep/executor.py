"""The one interface every executor follows, the choice of executor by name, and the chunking of points.

An executor takes a job and a list of chunks (lists of tasks) and yields each chunk's rows as
the chunk finishes, in any order. It owns retries: a chunk lost with a worker is run again
elsewhere, and a point that keeps killing its worker comes back as a failed row; it never
raises for a point. Closing the generator early (Ctrl-C) cancels what has not started.

Kinds, as given to `--executor`: `inline` (this process), `process` (a local process pool, one
worker per core by default), `dask` (a local Dask cluster of worker processes) and
`dask://HOST:PORT` (an existing Dask scheduler).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from typing import Protocol

from flowc.runtime.sweep.job import Job
from flowc.runtime.sweep.task import Row, Task


class Executor(Protocol):
    name: str

    @property
    def workers(self) -> int: ...

    def run(self, job: Job, chunks: Sequence[list[Task]]) -> Iterator[list[Row]]: ...

    def close(self) -> None: ...


class UnknownExecutor(ValueError):
    pass


def max_workers() -> int:
    """The most local workers a sweep starts: one per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def make_executor(kind: str, workers: int | None = None) -> Executor:
    """The executor named by `--executor`; local workers are at most `max_workers()` (more are cut to that)."""
    if workers is not None and workers < 1:
        raise UnknownExecutor("--workers must be at least 1")
    if workers is not None and kind in ("process", "dask"):
        workers = min(workers, max_workers())
    if kind == "inline":
        from flowc.runtime.sweep.inline import InlineExecutor

        return InlineExecutor()
    if kind == "process":
        from flowc.runtime.sweep.pool import PoolExecutor

        return PoolExecutor(workers or max_workers())
    if kind == "dask" or kind.startswith(("dask://", "tcp://")):
        from flowc.runtime.sweep.cluster import DaskExecutor

        address = None if kind == "dask" else "tcp://" + kind.split("://", 1)[1]
        return DaskExecutor(address, workers)
    raise UnknownExecutor(f"unknown executor `{kind}`; choose inline, process, dask or dask://HOST:PORT")


def chunk_size(n_tasks: int, workers: int, seconds_per_task: float, *, target: float = 0.25,
               per_worker: int = 4, largest: int = 512) -> int:
    """Points per chunk: about `target` seconds of work, but at least `per_worker` chunks for each worker."""
    by_time = int(target / max(seconds_per_task, 1e-6))
    by_balance = math.ceil(n_tasks / max(1, workers * per_worker))
    return max(1, min(by_time, by_balance, largest))


def chunked(tasks: Sequence[Task], size: int) -> list[list[Task]]:
    return [list(tasks[i:i + size]) for i in range(0, len(tasks), size)]
