"""The live progress of a sweep on stderr: points done and failed, rate and time left (rich).

Shown only to a person (stderr is a terminal, and neither `--quiet` nor `--json`); otherwise
every call is a no-op, so the runner never asks whether anyone is watching.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class RateColumn(ProgressColumn):
    """Points per second, from rich's moving window of progress samples."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("-- points/s" if speed is None else f"{speed:,.0f} points/s", style="cyan")


class SweepProgress:
    def __init__(self, total: int, *, done: int = 0, failed: int = 0, enabled: bool = True,
                 console: Console | None = None, what: str = "sweep"):
        self.enabled = enabled and total > 0
        self.failed = failed
        self._progress: Progress | None = None
        if self.enabled:
            self._progress = Progress(
                SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("[red]{task.fields[failed]} failed"), RateColumn(), TextColumn("ETA"),
                TimeRemainingColumn(), TimeElapsedColumn(),
                console=console or Console(stderr=True), transient=False, speed_estimate_period=10.0)
            self._task = self._progress.add_task(what, total=total, completed=done, failed=failed)

    def __enter__(self) -> SweepProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def advance(self, ok: int, failed: int) -> None:
        self.failed += failed
        if self._progress is not None:
            self._progress.update(self._task, advance=ok + failed, failed=self.failed)
