"""The in-process executor: chunks run one after the other in this process, sharing its prepared job."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from flowc.runtime.sweep.batch import run_chunk
from flowc.runtime.sweep.job import Job
from flowc.runtime.sweep.task import Row, Task


class InlineExecutor:
    name = "inline"
    workers = 1

    def run(self, job: Job, chunks: Sequence[list[Task]]) -> Iterator[list[Row]]:
        for chunk in chunks:
            yield run_chunk(job, chunk)

    def close(self) -> None:
        pass
