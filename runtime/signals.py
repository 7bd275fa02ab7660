"""Signal capture and replay: store every SIGNAL a run's strategies sent, and send them again later.

`flowc run --capture-signals DIR` writes one Parquet table per strategy container
(`DIR/<strategy>.parquet`: timestamp, symbol, direction, strength; one row per present SIGNAL)
and an index `DIR/signals.json`. In a strategy container, `signal = replay("DIR", strategy = "NAME")`
emits exactly those signals again, so risk, execution and portfolio settings can be swept
without recomputing features and strategies. Every present SIGNAL is kept, not only the
changes: a risk container acts at every step where a SIGNAL arrives, so dropping repeats
would change the orders.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from flowc.compiler.ir import ReplaySpec
from flowc.dsl.diagnostics import FlowError, diagnose, did_you_mean
from flowc.runtime.data import MarketData
from flowc.runtime.files import atomic_path, write_text
from flowc.runtime.ledger import Ledger

if TYPE_CHECKING:
    import pandas as pd

INDEX = "signals.json"
PARQUET_HINT = "Parquet needs the optional extra: pip install 'flowc[parquet]'"


def capture(ledger: Ledger, market: MarketData, folder: str | Path, workflow: str) -> None:
    """Write every strategy's present signals to `folder` (each file atomically, the index last)."""
    import pandas as pd

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    assert ledger.signals is not None, "capture needs a run that keeps the signals (`run_prepared(signals=True)`)"
    for path, (present, direction, strength) in ledger.signals.items():
        steps, symbols = np.nonzero(present)
        table = pd.DataFrame({
            "timestamp": market.timestamps[steps], "symbol": np.array(market.symbols, dtype=object)[symbols],
            "direction": direction[steps, symbols].astype(np.int8), "strength": strength[steps, symbols]})
        files[path] = f"{path}.parquet"
        with atomic_path(folder / files[path]) as target:
            _parquet(table, target)
    index = {"workflow": workflow, "symbols": list(market.symbols), "strategies": files}
    write_text(folder / INDEX, json.dumps(index, indent=2) + "\n")


def load_replay(spec: ReplaySpec, market: MarketData, base_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """The captured signals of one strategy on this market's steps: presence `[T, S]`, values `[T, S, 2]`."""
    import pandas as pd

    folder = base_dir / spec.path
    try:
        index = json.loads((folder / INDEX).read_text())
    except (OSError, ValueError):
        raise FlowError([diagnose("FL601", spec.span,
                                  "capture them first: `flowc run FILE --capture-signals DIR`",
                                  detail=f"`{folder}` holds no captured signals")]) from None
    strategies = index.get("strategies", {})
    if spec.strategy not in strategies:
        hint = did_you_mean(spec.strategy, strategies) or "captured: " + ", ".join(strategies)
        raise FlowError([diagnose("FL509", spec.span, hint,
                                  detail=f"`{folder}` has no signals of a strategy `{spec.strategy}`")])
    try:
        table = pd.read_parquet(folder / strategies[spec.strategy])
    except ImportError:
        raise FlowError([diagnose("FL601", spec.span, PARQUET_HINT,
                                  detail="replaying signals needs pyarrow")]) from None
    except OSError as exc:
        raise FlowError([diagnose("FL601", spec.span, detail=f"cannot read the captured signals: {exc}")]) from None
    stamps = table["timestamp"].to_numpy().astype("datetime64[us]")
    steps = np.searchsorted(market.timestamps, stamps)
    column = {name: s for s, name in enumerate(market.symbols)}
    symbols = np.array([column.get(name, -1) for name in table["symbol"]], dtype=np.int64)
    inside = np.minimum(steps, len(market.timestamps) - 1)
    matched = (steps < len(market.timestamps)) & (market.timestamps[inside] == stamps) & (symbols >= 0)
    if not matched.all():
        raise FlowError([diagnose(
            "FL509", spec.span, "replay on the data the signals were captured from",
            detail=f"{int((~matched).sum())} captured signals of `{spec.strategy}` fall on timestamps or symbols "
                   "the data does not have")])
    present = np.zeros(market.close.shape, dtype=bool)
    values = np.full((*market.close.shape, 2), np.nan)
    present[steps, symbols] = True
    values[steps, symbols, 0] = table["direction"].to_numpy(dtype=np.float64)
    values[steps, symbols, 1] = table["strength"].to_numpy(dtype=np.float64)
    return present, values


def _parquet(table: pd.DataFrame, target: Path) -> None:
    try:
        table.to_parquet(target, index=False)
    except ImportError:
        raise FlowError([diagnose("FL601", None, PARQUET_HINT, detail="capturing signals needs pyarrow")]) from None

