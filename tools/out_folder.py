"""What an `--out` folder already holds: a single run's results or a sweep's, never both mixed.

`flowc run --out DIR` writes a run's files; a sweep or a walk-forward writes its own (and resumes
from `sweep.jsonl`). Either kind into a folder of the other kind is refused the same way, naming
what the folder holds; with `--force` the other kind's files are removed first, so the folder
then holds one run or one sweep, never a mix (and `manifest.json` describes all of it).
"""

from __future__ import annotations

from pathlib import Path

RUN_FILES = ("metrics.json", "equity.csv", "trades.csv", "orders.csv", "fills.csv", "positions.csv",
             "report.html")
SWEEP_FILES = ("sweep.jsonl", "sweep.csv", "sweep.parquet", "heatmap.png", "walk_forward.json", "oos_equity.csv")
KINDS = {"run": ("a single run's results", "metrics.json"), "sweep": ("a sweep's results", "sweep.jsonl")}


def held(folder: str | Path) -> str | None:
    """`run` or `sweep` for a folder holding that kind's results (by its marker file), else None."""
    folder = Path(folder)
    if (folder / "sweep.jsonl").is_file():
        return "sweep"
    if (folder / "metrics.json").is_file():
        return "run"
    return None


def conflict(folder: str | Path, kind: str, force: bool) -> str | None:
    """A refusal when `folder` holds the other kind's results (without `force`); with `force`
    those files are removed and None returned. `kind` is what is about to be written."""
    other = held(folder)
    if other is None or other == kind:
        return None
    what, marker = KINDS[other]
    if not force:
        writing = "a sweep" if kind == "sweep" else "a single run"
        return (f"--out {folder} holds {what} ({marker}); {writing} would mix its files with them: "
                f"use another --out, or add --force to replace them")
    folder = Path(folder)
    for name in RUN_FILES if other == "run" else SWEEP_FILES:
        (folder / name).unlink(missing_ok=True)
    if other == "run":
        charts = folder / "charts"
        if charts.is_dir():
            for png in charts.glob("*.png"):
                png.unlink()
    return None
