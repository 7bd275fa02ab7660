"""A sweep's rows as tables: `sweep.parquet` and `sweep.csv`, JSON, and the table of the top points.

Columns: `window` (walk-forward only), one per swept parameter named as the parameter, one per
metric named as in `metrics.json`, then `status` and `error`. Rows are ranked by the objective
(undefined values, then failed points, last); files are written atomically.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from flowc.runtime.files import atomic_path, write_text
from flowc.runtime.metrics import COUNTS, METRIC_KEYS
from flowc.runtime.sweep.task import Row

STATUS_COLUMNS = ("status", "error")


def flat(row: Row, params: Sequence[str]) -> dict[str, object]:
    """One row as flat columns (parameters, metrics, status, error)."""
    values, metrics = row["values"], row["metrics"]
    out: dict[str, object] = {}
    if row.get("window") is not None:
        out["window"] = row["window"]
    out.update({p: values.get(p) for p in params})  # type: ignore[union-attr]
    out.update({m: metrics.get(m) for m in METRIC_KEYS})  # type: ignore[union-attr]
    out["status"], out["error"] = row["status"], row["error"]
    return out


def frame(rows: Sequence[Row], params: Sequence[str]) -> pd.DataFrame:
    clash = set(params) & {*METRIC_KEYS, *STATUS_COLUMNS, "window"}
    if clash:  # a parameter named like a metric would lose its column: keep both, apart
        params = [f"param:{p}" if p in clash else p for p in params]
        rows = [{**r, "values": {(f"param:{k}" if k in clash else k): v for k, v in r["values"].items()}}
                for r in rows]  # type: ignore[union-attr]
    columns = (["window"] if any(r.get("window") is not None for r in rows) else []) + [
        *params, *METRIC_KEYS, *STATUS_COLUMNS]
    table = pd.DataFrame([flat(r, params) for r in rows], columns=columns)
    for metric in COUNTS:
        table[metric] = table[metric].astype("Int64")
    return table


def write_tables(folder: str | Path, table: pd.DataFrame) -> list[Path]:
    """`sweep.csv` always, `sweep.parquet` when pyarrow is installed; each written atomically."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "sweep.csv"]
    write_text(written[0], table.to_csv(index=False))
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return written
    target = folder / "sweep.parquet"
    with atomic_path(target) as tmp:
        table.to_parquet(tmp, index=False)
    written.append(target)
    return written


def parquet_note(written: Sequence[Path]) -> str | None:
    """What to tell the user when `write_tables` could write only the CSV (said on any stderr, not only a TTY)."""
    if any(p.suffix == ".parquet" for p in written):
        return None
    return f"flowc: no sweep.parquet: it needs pyarrow (pip install pyarrow); {written[0]} has the same table\n"


def top_table(title: str, rows: Sequence[Row], params: Sequence[str], objective: str, limit: int = 10):
    """A rich table of the best `limit` points (rows already ranked)."""
    from rich.table import Table

    from flowc.tools.commands.run import cell

    metrics = list(dict.fromkeys([objective, "total_return", "max_drawdown", "trades"]))
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right", style="dim")
    for column in [*params, *metrics]:
        table.add_column(column, justify="right", style="bold" if column == objective else None)
    for i, r in enumerate(rows[:limit], 1):
        table.add_row(str(i), *[cell(r["values"].get(p)) for p in params],  # type: ignore[union-attr]
                      *[cell(r["metrics"].get(m)) for m in metrics])  # type: ignore[union-attr]
    return table
