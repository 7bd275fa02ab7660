"""Every feature, regime and signal series of a run, per symbol: `flowc run --features` and `Backtest.features`.

Why it exists: a researcher judges a strategy by the indicators that drove it. Where the
compiled program keeps every series (each feature, classifier and strategy container hoisted,
its events in buffers rather than locals, none of its settings dropped by the optimiser), one
more compiled run that keeps the hoisted prefix's outputs for every step (as signal capture
does) gives them, in milliseconds. Otherwise (a container after a feedback route runs step by
step, a container whose events stay in locals, a feature declared only to look at it, or no
compiled program yet) the plain-Python reference engine runs the analysed workflow as written,
every setting of every container at every step, and its trace hook records them: both engines
give the same bits by design (the differential tests and tests/runtime/test_features.py hold
them to it). That costs one reference run, about 40 microseconds per bar (docs/features.md
quotes the measurements).

Columns are named `CONTAINER:FIELD` (`features:fast_ma`, `classifier:regime`,
`strategy:direction`, `strategy:strength`): the fields of the FEATURE, REGIME and SIGNAL events
each container emits, in schedule order. A cell is NaN where the container emitted no event
for the symbol at that step (a feature before its inputs arrive, a strategy that is not active).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from flowc.compiler.schema import Roles
from flowc.runtime.files import atomic_path, write_text

if TYPE_CHECKING:
    import pandas as pd

    from flowc.runtime.manager import Prepared

SERIES = (Roles.FEATURE, Roles.CLASSIFIER, Roles.STRATEGY)
WHY_REFERENCE = "the compiled program does not keep every series of this workflow"
FOLDER = "features"
INDEX = "index.json"


@dataclass
class Features:
    """The series of one run: `values[t, s, c]` of column `columns[c]` (NaN where no event), from step `first`."""

    symbols: tuple[str, ...]
    timestamps: np.ndarray  # [T] the run's steps (without the warm-up before --start)
    present: np.ndarray  # [T, S] where each symbol has a bar
    columns: list[str]  # CONTAINER:FIELD
    roles: list[str]  # the role of each column's container
    values: np.ndarray  # [T, S, C]
    source: str = "reference"  # the engine the series were read from: "compiled" or "reference"

    def frame(self, symbol: str) -> pd.DataFrame:
        """One symbol's series at the steps where it has a bar: a `step` column (numbered as in the
        run's outputs), then one column per series; indexed by timestamp."""
        import pandas as pd

        s = self.symbols.index(symbol)
        rows = np.flatnonzero(self.present[:, s])
        index = pd.DatetimeIndex(pd.to_datetime(self.timestamps[rows]), name="timestamp")
        frame = pd.DataFrame(self.values[rows, s, :], index=index, columns=self.columns)
        frame.insert(0, "step", rows)
        return frame

    def frames(self) -> dict[str, pd.DataFrame]:
        return {symbol: self.frame(symbol) for symbol in self.symbols}


def compute(prepared: Prepared, values: dict[str, object] | None = None) -> Features:
    """Every FEATURE, REGIME and SIGNAL series of the run of `prepared` at this parameter point, cut
    to the steps from `trade_from`: read from the compiled program where it keeps every one of them
    (`kept_by_program`), else from a reference run (see the module's docstring)."""
    market = prepared.market
    keys, roles = columns(prepared)
    arrays = _from_program(prepared, values, keys) if kept_by_program(prepared, keys) else None
    source = "compiled" if arrays is not None else "reference"
    if arrays is None:
        arrays = _from_reference(prepared, values, keys)
    k = prepared.trade_from
    stacked = np.stack(arrays, axis=2)[k:] if keys else np.zeros((market.n_steps - k, market.n_symbols, 0))
    return Features(market.symbols, market.timestamps[k:], market.present[k:],
                    [f"{path}:{field}" for path, field in keys], roles, stacked, source)


def columns(prepared: Prepared) -> tuple[list[tuple[str, str]], list[str]]:
    """(container, field) of every series column in schedule order, and each one's role: a feature's or
    a classifier's settings in their order, a strategy's SIGNAL `direction` and `strength`."""
    from flowc.runtime.reference import schedule

    analysis = prepared.analysis
    keys, roles = [], []
    for path in schedule(analysis.graph):  # type: ignore[arg-type]
        bound = analysis.binding.containers[path]  # type: ignore[union-attr]
        if bound.role not in SERIES:
            continue
        fields = ("direction", "strength") if bound.role == Roles.STRATEGY else [s.name for s in bound.settings]
        keys += [(path, field) for field in fields]
        roles += [bound.role] * len(fields)
    return keys, roles


def kept_by_program(prepared: Prepared, keys: list[tuple[str, str]]) -> bool:
    """Whether the compiled program, run keeping its prefix (`signals`), holds every column for every
    step: each container hoisted, its events in buffers (not locals) and none of its settings
    dropped by the optimiser. Only when the program is compiled already (a compile costs more)."""
    from flowc.compiler.codegen.layout import layout

    if prepared.program is None:
        return False
    local = layout(prepared.plan).local
    names = {b.name for b in prepared.program.generated.buffers}  # type: ignore[attr-defined]
    nodes = {n.path: n for n in prepared.plan.nodes}
    for path, field in keys:
        node = nodes.get(path)
        if node is None or not node.hoisted or path in local or field not in node.fields \
                or f"out_{node.ident}" not in names:
            return False
    return True


def _from_program(prepared: Prepared, values: dict[str, object] | None,
                  keys: list[tuple[str, str]]) -> list[np.ndarray] | None:
    """`[T, S]` per column from the prefix buffers of a compiled run (NaN where no event was sent)."""
    from flowc.runtime.manager import run_prepared

    run_prepared(prepared, values, engine="compiled", trade_from=prepared.trade_from, signals=True)
    kept = prepared.program.prefix  # type: ignore[union-attr]
    if kept is None or kept.market is not prepared.market:
        return None
    nodes = {n.path: n for n in prepared.plan.nodes}
    out = []
    for path, field in keys:
        node = nodes[path]
        present = kept.arrays[f"pres_{node.ident}"]
        values_ = kept.arrays[f"out_{node.ident}"][:, :, node.fields.index(field)]
        out.append(np.where(present, values_, np.nan))
    return out


def _from_reference(prepared: Prepared, values: dict[str, object] | None,
                    keys: list[tuple[str, str]]) -> list[np.ndarray]:
    """`[T, S]` per column from the events a reference run emits (its trace hook)."""
    from flowc.runtime.reference import run_reference

    market = prepared.market
    index = {key: c for c, key in enumerate(keys)}
    cells = [np.full((market.n_steps, market.n_symbols), np.nan) for _ in keys]
    paths = {path for path, _ in keys}

    def hook(t: int, path: str, emitted: list) -> None:
        if path not in paths:
            return
        for s, events in enumerate(emitted):
            for record in events:
                for field, value in record.items():
                    cells[index[(path, field)]][t, s] = value

    with np.errstate(all="ignore"):  # the run's own warnings are the run's to report
        run_reference(prepared.analysis, market, list(prepared.params(values)), trade_from=prepared.trade_from,
                      replays=prepared.replays, trace=hook)
    return cells


def file_names(symbols: tuple[str, ...]) -> dict[str, str]:
    """A file name stem per symbol, safe on every file system and distinct (`BRK/B` -> `BRK_B`)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for symbol in symbols:
        stem = re.sub(r"[^A-Za-z0-9_.-]", "_", symbol).lstrip(".") or "symbol"
        name, k = stem, 2
        while name.lower() in taken:  # case-insensitive file systems
            name, k = f"{stem}_{k}", k + 1
        taken.add(name.lower())
        names[symbol] = name
    return names


def has_parquet() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def write(folder: str | Path, features: Features, *, parquet: bool | None = None) -> list[Path]:
    """`folder/features/<SYMBOL>.parquet` (CSV without pyarrow) per symbol and `features/index.json`;
    each file written atomically, the index last. Returns the files written."""
    from flowc.runtime.results import format_stamps, stamp_unit

    parquet = has_parquet() if parquet is None else parquet
    target = Path(folder) / FOLDER
    target.mkdir(parents=True, exist_ok=True)
    names = file_names(features.symbols)
    unit = stamp_unit(features.timestamps)
    written = []
    for symbol, frame in features.frames().items():
        path = target / f"{names[symbol]}.{'parquet' if parquet else 'csv'}"
        if parquet:
            with atomic_path(path) as tmp:
                frame.to_parquet(tmp)
        else:
            frame.index = format_stamps(frame.index.values, unit)
            frame.index.name = "timestamp"
            write_text(path, frame.to_csv())
        written.append(path)
    index = {"format": "parquet" if parquet else "csv",
             "columns": [{"name": c, "container": c.rsplit(":", 1)[0], "field": c.rsplit(":", 1)[1], "role": r}
                         for c, r in zip(features.columns, features.roles, strict=True)],
             "symbols": {symbol: f"{names[symbol]}.{'parquet' if parquet else 'csv'}" for symbol in features.symbols}}
    write_text(target / INDEX, json.dumps(index, indent=2) + "\n")
    return [*written, target / INDEX]
