"""Run a list of points on an executor: skip the stored ones, store each chunk as it comes back, show progress.

The client runs the first point itself, as a chunk of one, which compiles the program and its
batch driver (or loads them from the cache) before any worker starts, so forked pool workers
inherit them; running it a second time measures what one point costs, and chunks are sized
from that (about a quarter of a second of work each, and at least four chunks per worker).
Ctrl-C stops the executor and returns what finished; the store already holds every finished
point, and a chunk that came back reaches the store and the results together (`held_interrupt`).
"""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from typing import Protocol

from flowc.runtime.sweep.batch import run_chunk
from flowc.runtime.sweep.executor import Executor, chunk_size, chunked
from flowc.runtime.sweep.job import Job
from flowc.runtime.sweep.store import Store
from flowc.runtime.sweep.task import Row, Task


class Progress(Protocol):
    """What the runner tells whoever watches: points finished and failed (a terminal's bar, or nothing)."""

    def __enter__(self) -> object: ...

    def __exit__(self, *exc: object) -> None: ...

    def advance(self, ok: int, failed: int) -> None: ...


class Unwatched(AbstractContextManager):
    """Progress nobody watches."""

    def __exit__(self, *exc: object) -> None:
        return None

    def advance(self, ok: int, failed: int) -> None:
        return None


@dataclass
class Outcome:
    rows: list[Row]  # one per task that has a result, in task order
    ran: int = 0  # points run by this call
    reused: int = 0  # points taken from the store
    failed: int = 0  # among `rows`
    elapsed: float = 0.0
    first: float = 0.0  # seconds of the first point, compilation (or loading it from the cache) included
    interrupted: bool = False
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def rate(self) -> float:
        """Points per second after the first (whose time is mostly compilation)."""
        after = self.elapsed - self.first
        return (self.ran - 1) / after if self.ran > 1 and after > 0 else 0.0


def run_tasks(job: Job, tasks: Sequence[Task], executor: Executor, *, store: Store | None = None,
              progress: Progress | None = None, on_rows: Callable[[list[Row]], None] | None = None,
              run_id: str | None = None) -> Outcome:
    outcome = Outcome([], run_id=run_id or uuid.uuid4().hex[:12])
    finished = store.finished() if store is not None else set()
    results: dict[str, Row] = {t.key: store.rows[t.key] for t in tasks if t.key in finished}  # type: ignore[union-attr]
    outcome.reused = len(results)
    todo = [t for t in tasks if t.key not in finished]
    job = replace(job, points=len(todo))
    progress = progress or Unwatched()
    start = time.perf_counter()

    def take(rows: list[Row]) -> None:
        for r in rows:
            r["run"] = outcome.run_id
        with held_interrupt():
            if store is not None:
                store.add(rows)
            for r in rows:
                results[str(r["key"])] = r
        failed = sum(r["status"] != "ok" for r in rows)
        outcome.ran += len(rows)
        progress.advance(len(rows) - failed, failed)
        if on_rows is not None:
            on_rows(rows)

    rows = None
    try:
        if todo:
            [first] = run_chunk(job, todo[:1])  # compiles the program and its driver here, before any worker starts
            outcome.first = time.perf_counter() - start
            cost = run_chunk(job, todo[:1])[0]["seconds"] if first["status"] == "ok" else 0.01
            rest = todo[1:]
            size = chunk_size(len(rest), executor.workers, float(cost),  # type: ignore[arg-type]
                              target=1.0 if executor.name.startswith("dask") else 0.25)
            starter = getattr(executor, "start", None)
            if rest and starter is not None:
                starter(job)
            with progress:
                take([first])
                rows = executor.run(job, chunked(rest, size))
                for chunk_rows in rows:
                    take(chunk_rows)
    except KeyboardInterrupt:
        outcome.interrupted = True
    finally:
        if rows is not None:
            rows.close()  # type: ignore[attr-defined]
        outcome.elapsed = time.perf_counter() - start
    outcome.rows = [results[t.key] for t in tasks if t.key in results]
    outcome.failed = sum(r["status"] != "ok" for r in outcome.rows)
    return outcome


@contextmanager
def held_interrupt() -> Iterator[None]:
    """Hold a Ctrl-C that arrives in the block until it ends, then raise it.

    Taking a chunk writes it to the store and then to the results the tables are written from; a
    KeyboardInterrupt between the two left points in the store that the tables lacked.
    """
    if threading.current_thread() is not threading.main_thread() or not callable(signal.getsignal(signal.SIGINT)):
        yield  # signals reach the main thread only; a handler not set from Python cannot be put back
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: caught.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt
