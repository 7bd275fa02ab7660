"""Bars from pandas DataFrames: the Python API's data, checked exactly as a file's bars are.

Why it exists: a notebook already holds its prices as DataFrames; writing them to CSV to run a
backtest would lose time and invite drift. A frame goes through the same checks as a CSV file
(`data.validate`: finite positive prices, high >= low, volume >= 0, strictly increasing
timestamps), so a frame and the CSV file it was read from give the same bars, bit for bit, and a
bad cell gets the same diagnostic, naming the frame, the row (1 = the first) and the column.

A frame holds one symbol's bars (a long frame, with a `symbol` column or index level, holds several:
`split_long`): its timestamps are its DatetimeIndex or, failing that, a column
named timestamp (or one of date, datetime, time), and its prices are columns named open, high,
low, close and volume, in any letter case; other columns are ignored. Timestamps with a time
zone are converted to UTC; naive ones are taken as UTC, as in files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from flowc.dsl.diagnostics import FlowError, diagnose
from flowc.runtime.data import FIELDS, SymbolBars, Table, as_time, validate
from flowc.runtime.data_columns import COLUMNS, match_columns

if TYPE_CHECKING:
    import pandas as pd


def is_frame(value: object) -> bool:
    """Whether `value` is a pandas DataFrame (without importing pandas when it is not loaded)."""
    import sys

    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(value, pandas.DataFrame)


def frame_or_path(symbol: str, given: object) -> object:
    """A `data` value as `load_market` takes it: a DataFrame as it is, a path made absolute (from the cwd)."""
    import os
    from pathlib import Path

    if is_frame(given):
        return given
    if not isinstance(given, (str, os.PathLike)):
        raise TypeError(f"data[{symbol!r}]: expected a pandas DataFrame or a file path, got {type(given).__name__}")
    return Path(given).expanduser().absolute()


def split_long(frame: pd.DataFrame) -> dict[str, object]:
    """A long DataFrame as one frame per symbol, in the order the symbols first appear: the symbol is a
    column named `symbol` (any letter case) or an index level of that name. FL602 without one."""
    import pandas as pd

    levels = [n for n in frame.index.names if n is not None and str(n).strip().lower() == "symbol"]
    if levels:
        frame = frame.reset_index(level=levels[0])
    column = next((c for c in frame.columns if str(c).strip().lower() == "symbol"), None)
    if column is None:
        raise FlowError([diagnose("FL602", None, "give a dict of symbol -> DataFrame, or add a `symbol` column",
                                  detail="`data` is one DataFrame without a `symbol` column or index level, so "
                                         "it cannot say which bars are whose")])
    if isinstance(frame.index, pd.MultiIndex):  # the timestamp is the level left
        frame = frame.reset_index(level=list(range(1, frame.index.nlevels)), drop=True)
    return {str(symbol): part.drop(columns=column) for symbol, part in frame.groupby(column, sort=False)}


def frame_bars(frame: object, symbol: str, shown: str | None = None) -> SymbolBars:
    """One symbol's bars from a DataFrame; FlowError (FL602, FL603, ...) for bad content."""
    import pandas as pd

    shown = shown or f"data[{symbol!r}]"
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{shown}: expected a pandas DataFrame or a file path, got {type(frame).__name__}")
    if frame.empty:
        raise FlowError([diagnose("FL607", None, "a DataFrame of bars needs at least one row",
                                  detail=f"`{shown}` has no bars")])
    by_index = isinstance(frame.index, pd.DatetimeIndex)
    names = match_columns(frame.columns, shown, "row", FIELDS if by_index else COLUMNS, None, "DataFrame")
    raw = {c: frame[n].reset_index(drop=True) for c, n in names.items()}
    if by_index:
        raw["timestamp"] = pd.Series(frame.index)
        names["timestamp"] = str(frame.index.name or "index")
    table = Table(shown, "row", np.arange(1, len(frame) + 1), {c: raw[c] for c in COLUMNS}, names)
    stamps, values = validate(table, None, None)
    return SymbolBars(symbol, as_time(stamps), *(values[f] for f in FIELDS))
