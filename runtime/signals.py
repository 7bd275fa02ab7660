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
from flowc.dsl.files import check_regular
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
        check_regular(folder / INDEX)
        index = json.loads((folder / INDEX).read_text())
    except (OSError, ValueError, RecursionError):
        raise FlowError([diagnose("FL601", spec.span, "capture them first: `flowc run FILE --capture-signals DIR`",
                                  detail=f"`{folder}` holds no captured signals")]) from None
    strategies = index.get("strategies") if isinstance(index, dict) else None
    if not isinstance(strategies, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v and Path(v).name == v and v not in (".", "..")
            for k, v in strategies.items()):
        raise _damaged(folder, f"its {INDEX} is not an index of captured signals", spec)
    if spec.strategy not in strategies:
        hint = did_you_mean(spec.strategy, strategies) or "captured: " + ", ".join(strategies)
        raise FlowError([diagnose("FL509", spec.span, hint,
                                  detail=f"`{folder}` has no signals of a strategy `{spec.strategy}`")])
    try:
        check_regular(folder / strategies[spec.strategy])
        table = pd.read_parquet(folder / strategies[spec.strategy])
        stamps = table["timestamp"].to_numpy().astype("datetime64[us]")
        direction = table["direction"].to_numpy(dtype=np.float64)
        strength = table["strength"].to_numpy(dtype=np.float64)
        names = [str(name) for name in table["symbol"]]
    except ImportError:
        raise FlowError([diagnose("FL601", spec.span, PARQUET_HINT,
                                  detail="replaying signals needs pyarrow")]) from None
    except OSError as exc:
        raise FlowError([diagnose("FL601", spec.span, detail=f"cannot read the captured signals: {exc}")]) from None
    except Exception as exc:  # pyarrow's errors on a damaged file, a missing column, a column of the wrong type
        raise _damaged(folder, f"`{strategies[spec.strategy]}` is not a table of captured signals "
                               f"({type(exc).__name__})", spec) from None
    steps = np.searchsorted(market.timestamps, stamps)
    column = {name: s for s, name in enumerate(market.symbols)}
    symbols = np.array([column.get(name, -1) for name in names], dtype=np.int64)
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
    values[steps, symbols, 0] = np.sign(np.nan_to_num(direction, nan=0.0))  # NaN: no position (flat)
    values[steps, symbols, 1] = strength
    return present, values


def _damaged(folder: Path, what: str, spec: ReplaySpec) -> FlowError:
    return FlowError([diagnose("FL601", spec.span, "capture them again: `flowc run FILE --capture-signals DIR`",
                               detail=f"`{folder}` holds damaged captured signals: {what}")])


def _parquet(table: pd.DataFrame, target: Path) -> None:
    try:
        table.to_parquet(target, index=False)
    except ImportError:
        raise FlowError([diagnose("FL601", None, PARQUET_HINT, detail="capturing signals needs pyarrow")]) from None

