"""The heat map of the objective over the first two swept parameters, as a PNG (needs matplotlib).

With more than two swept parameters each cell shows the best value of the objective over the
others. Cells of failed or undefined points stay blank. Returns None, writing nothing, when
matplotlib is not installed (`pip install 'flowc[report]'`) or fewer than two parameters vary.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from flowc.runtime.metrics import ASCENDING
from flowc.runtime.sweep.task import Row


def grid_values(rows: Sequence[Row], x: str, y: str, objective: str,
                xs: Sequence[object], ys: Sequence[object]) -> np.ndarray:
    """`[len(ys), len(xs)]` best objective per cell (NaN where no finished point has a value)."""
    best = np.full((len(ys), len(xs)), np.nan)
    column, line = {v: i for i, v in enumerate(xs)}, {v: i for i, v in enumerate(ys)}
    better = np.fmin if objective in ASCENDING else np.fmax
    for r in rows:
        value = r["metrics"].get(objective) if r["status"] == "ok" else None  # type: ignore[union-attr]
        if value is None:
            continue
        values = r["values"]
        i, j = line.get(values.get(y)), column.get(values.get(x))  # type: ignore[union-attr]
        if i is not None and j is not None:
            best[i, j] = better(best[i, j], float(value))
    return best


def write_heatmap(path: str | Path, rows: Sequence[Row], sweeps: Sequence[tuple[str, Sequence[object]]],
                  objective: str, title: str = "") -> Path | None:
    if len(sweeps) < 2:
        return None
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    (x, xs), (y, ys) = sweeps[0], sweeps[1]
    values = grid_values(rows, x, y, objective, xs, ys)
    cmap = "viridis_r" if objective in ASCENDING else "viridis"
    fig, ax = plt.subplots(figsize=(max(4.0, 0.7 * len(xs) + 2), max(3.0, 0.45 * len(ys) + 1.5)), dpi=100)
    try:
        image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, aspect="auto", origin="lower")
        ax.set_xticks(range(len(xs)), [str(v) for v in xs])
        ax.set_yticks(range(len(ys)), [str(v) for v in ys])
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        ax.set_title(title or f"{objective} by {x} and {y}")
        fig.colorbar(image, ax=ax, label=objective)
        if values.size <= 400:
            finite = values[np.isfinite(values)]
            middle = float(np.mean([finite.min(), finite.max()])) if finite.size else 0.0
            for i in range(len(ys)):
                for j in range(len(xs)):
                    if np.isfinite(values[i, j]):
                        dark = (values[i, j] < middle) != (objective in ASCENDING)
                        ax.text(j, i, f"{values[i, j]:.3g}", ha="center", va="center", fontsize=7,
                                color="white" if dark else "black")
        fig.tight_layout()
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp.png")
        fig.savefig(tmp)
        tmp.replace(path)
    finally:
        plt.close(fig)
    return path
