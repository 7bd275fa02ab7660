"""The Dask executor: chunks of points as tasks on a Dask distributed cluster, real processes over TCP.

`--executor dask` starts a `LocalCluster` of worker processes on 127.0.0.1 (one per core, one
thread each) for this run; `--executor dask://HOST:PORT` connects to a running scheduler.
Workers import `flowc` themselves (it must be installed where they run) and each prepares the
job once from its path; the file and its data must be readable at the same path on every
worker, which the job's fingerprint checks.

Faults are Dask's to handle: when a worker dies, the scheduler runs its tasks again on the
others; a task that has killed several workers (`distributed.scheduler.allowed-failures`)
comes back as `KilledWorker`, and its points become failed rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from flowc.runtime.sweep.batch import run_chunk
from flowc.runtime.sweep.job import Job
from flowc.runtime.sweep.task import Row, Task, message, row


class DaskExecutor:
    name = "dask"

    def __init__(self, address: str | None, workers: int | None = None, *, timeout: float = 30.0):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise RuntimeError("the Dask executor needs `pip install 'flowc[dask]'`") from None
        self.cluster = None
        if address is None:
            import os

            self.cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                                        processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0")
            self.client = Client(self.cluster, timeout=timeout)
        else:
            self.client = Client(address, timeout=timeout)
        self.name = f"dask ({self.client.scheduler.address})"

    @property
    def workers(self) -> int:
        info = self.client.scheduler_info(n_workers=-1)["workers"]
        return max(1, sum(w.get("nthreads", 1) for w in info.values()))

    def run(self, job: Job, chunks: Sequence[list[Task]]) -> Iterator[list[Row]]:
        from distributed import as_completed

        futures = {self.client.submit(run_chunk, job, chunk, pure=False): chunk for chunk in chunks}
        try:
            for future in as_completed(futures):
                chunk = futures.pop(future)
                try:
                    rows = future.result()
                except Exception as exc:  # KilledWorker, or a worker that cannot unpickle the task
                    text = message(exc)
                    rows = [row(task, {}, "failed", text) for task in chunk]
                yield rows
        finally:
            if futures:
                self.client.cancel(list(futures))

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
