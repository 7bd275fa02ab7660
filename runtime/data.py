"""The data layer: bars from CSV, Parquet, the bundled samples or a generator, checked and aligned.

Why it exists: every kernel downstream assumes clean bars (finite, positive prices, volume >= 0,
strictly increasing timestamps) laid out as plain numpy arrays. Checking once here, vectorised,
lets the kernels run without guards, and turns every bad cell into a diagnostic (FL6xx) that names
the file, the line and the column instead of a pandas traceback or a silently wrong backtest.

`load_source` reads one `data` source of a `.flow` file into one `SymbolBars` per symbol;
`align` puts several symbols on the union of their timestamps (`MarketData`, `[T, S]` arrays with
NaN and `present == False` where a symbol has no bar). Neither imports numba, and pandas only
when a file is read: the checked columns of a CSV are cached (`data_cache`), so a warm run
does not pay for pandas' import.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from flowc.dsl.diagnostics import Diagnostic, FlowError, diagnose, did_you_mean
from flowc.dsl.files import NotRegularFile, check_regular
from flowc.dsl.source import Span
from flowc.runtime.data_cache import load_checked
from flowc.runtime.data_columns import ADJ_CLOSE, COLUMNS, ColumnMap, adjust, match_columns

if TYPE_CHECKING:
    import pandas as pd

PRICES = ("open", "high", "low", "close")
FIELDS = (*PRICES, "volume")
SAMPLES = ("nasdaq", "sp500")
SYNTHETIC_DEFAULTS: dict[str, int] = {"bars": 1000, "symbols": 1, "seed": 0}

_TIMESTAMP_HINT = ("write ISO dates (2020-01-31) or datetimes (2020-01-31 09:30:00, optionally with a "
                   "UTC offset)")
_MISSING_HINT = ("every bar needs a timestamp, open, high, low, close and volume: "
                 "fill in the cell or drop the row")


@dataclass(frozen=True, eq=False)
class SymbolBars:
    """One symbol's own bars, timestamps strictly increasing (datetime64[us], UTC, naive)."""

    symbol: str
    timestamps: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray


@dataclass(frozen=True, eq=False)
class MarketData:
    """Several symbols on the union of their timestamps: `[T, S]` float64 arrays, NaN where absent."""

    symbols: tuple[str, ...]
    timestamps: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    present: np.ndarray

    @property
    def n_steps(self) -> int:
        return len(self.timestamps)

    @cached_property
    def seconds(self) -> np.ndarray:
        """`[T]` each step's timestamp in whole seconds since 1970-01-01 (UTC, floored), as floats: the
        calendar operators' input (docs/semantics.md, section 5)."""
        stamps = self.timestamps
        if not np.issubdtype(stamps.dtype, np.datetime64):  # plain integers (tests): nanoseconds
            stamps = stamps.astype("datetime64[ns]")
        return stamps.astype("datetime64[s]").astype(np.int64).astype(np.float64)

    @property
    def n_symbols(self) -> int:
        return len(self.symbols)

    @property
    def bars(self) -> int:
        """The number of BAR events: one per symbol and step where the symbol has a bar."""
        return int(self.present.sum())

    @cached_property
    def complete(self) -> bool:
        """Every symbol has a bar at every step: the program then runs without its presence checks (`present_nb`)."""
        return bool(self.present.all())


# ---------------------------------------------------------------------------------------------
# Sources


def load_source(kind: str, args: Mapping[str, object], *, base_dir: Path,
                span: Span | None = None) -> list[SymbolBars]:
    """Load one data source of a `.flow` file (`csv`, `parquet`, `sample`, `synthetic`)."""
    if kind in ("csv", "parquet"):
        shown = str(args["path"])
        path = Path(shown).expanduser()
        path = path if path.is_absolute() else Path(base_dir) / path
        symbol = args.get("symbol")
        mapping = ColumnMap.of(args, span)
        if kind == "csv":
            return [_csv_bars(path, shown, str(symbol or path.stem.upper()), span, mapping)]
        return _read_parquet(path, shown, None if symbol is None else str(symbol), span, mapping)
    if kind == "sample":
        name = str(args["name"])
        path = _sample_file(name, span)
        return [_csv_bars(path, str(path), str(args.get("symbol") or name.upper()), span)]
    if kind == "synthetic":
        values = {key: args.get(key, default) for key, default in SYNTHETIC_DEFAULTS.items()}
        return synthetic(int(values["bars"]), int(values["symbols"]), int(values["seed"]), span=span)
    raise ValueError(f"unknown data source kind {kind!r}")  # the compiler only passes the four above


def sample_path(name: str) -> Path:
    """The bundled CSV of a sample (`"sp500"` or `"nasdaq"`); FL509 for any other name."""
    return _sample_file(name, None)


def _sample_file(name: str, span: Span | None) -> Path:
    if name not in SAMPLES:
        listed = " and ".join(f"`{s}`" for s in SAMPLES)
        raise FlowError([diagnose("FL509", span, did_you_mean(name.lower(), SAMPLES),
                                  detail=f"unknown sample `{name}`; the samples are {listed}")])
    return Path(str(resources.files("flowc.runtime").joinpath("sample_data", f"{name}.csv")))


def synthetic(bars: int, symbols: int = 1, seed: int = 0, *, span: Span | None = None) -> list[SymbolBars]:
    """Deterministic GBM bars: `symbols` series `S0, S1, ...` of `bars` business days from 2000-01-03.

    The recipe (vectorised; the arrays are drawn in this order, each of shape `[symbols, bars]`,
    from `rng = np.random.default_rng(seed)`):

    1. `z = rng.standard_normal(...)`: log close `= log(100) + cumsum(0.0002 + 0.01 * z)` along
       the bars (drift 0.0002 and volatility 0.01 per bar).
    2. `g = rng.standard_normal(...)`: `open = previous close * exp(0.002 * g)` (100 before the
       first bar), a small overnight gap.
    3. `u = rng.random(...)`, `w = rng.random(...)`: `high = max(open, close) * (1 + 0.005 * u)`,
       `low = min(open, close) * (1 - 0.005 * w)`.
    4. `v = rng.standard_normal(...)`: `volume = round(1e6 * exp(0.25 * v))`, always positive.

    Timestamps are the business days (Monday to Friday) from 2000-01-03, as `pd.bdate_range` would
    give them, in microseconds, the same for every symbol; microseconds reach far beyond 2262, so
    millions of bars fit.
    """
    for name, value, least in (("bars", bars, 1), ("symbols", symbols, 1), ("seed", seed, 0)):
        if value < least:
            raise FlowError([diagnose("FL509", span, f"`{name}` must be at least {least}",
                                      detail=f"`{name} = {value}` is out of range")])
    stamps = _business_days(bars)
    rng = np.random.default_rng(seed)
    shape = (symbols, bars)
    close = 100.0 * np.exp(np.cumsum(0.0002 + 0.01 * rng.standard_normal(shape), axis=1))
    before = np.concatenate([np.full((symbols, 1), 100.0), close[:, :-1]], axis=1)
    open_ = before * np.exp(0.002 * rng.standard_normal(shape))
    high = np.maximum(open_, close) * (1.0 + 0.005 * rng.random(shape))
    low = np.minimum(open_, close) * (1.0 - 0.005 * rng.random(shape))
    volume = np.round(1e6 * np.exp(0.25 * rng.standard_normal(shape)))
    return [SymbolBars(f"S{k}", stamps, open_[k], high[k], low[k], close[k], volume[k])
            for k in range(symbols)]


def _business_days(bars: int) -> np.ndarray:
    days = np.busday_offset(np.datetime64("2000-01-03", "D"), np.arange(bars), roll="forward")
    return days.astype("datetime64[us]")


# ---------------------------------------------------------------------------------------------
# Reading files into raw tables


@dataclass
class Table:
    """The raw columns of one file, before any check; `numbers` is where each row is in the file."""

    shown: str  # the file as the user wrote it
    unit: str  # "line" (CSV, header = line 1) or "row" (Parquet, first row = 1)
    numbers: np.ndarray
    raw: dict[str, pd.Series]  # canonical column name -> values as read
    names: dict[str, str]  # canonical column name -> as spelt in the file


def _fail(code: str, message: str, span: Span | None, hint: str | None = None) -> FlowError:
    return FlowError([diagnose(code, span, hint, detail=message)])


def _check_file(path: Path, shown: str, span: Span | None) -> None:
    """FL601 unless `path` is an existing regular file (a device, FIFO or socket is never opened)."""
    where = f" (looked for {path.resolve()})" if str(path) != shown else ""
    if path.is_dir():
        raise _fail("FL601", f"cannot read `{shown}`: it is a directory, not a file", span,
                    "name a data file inside it")
    try:
        check_regular(path)
    except NotRegularFile as exc:
        raise _fail("FL601", f"cannot read `{shown}`: {exc}", span,
                    "data files are regular CSV or Parquet files") from None
    except OSError:
        raise _fail("FL601", f"cannot read `{shown}`: no such file{where}", span,
                    "relative paths start at the folder of the .flow file") from None


def _read_csv(path: Path, shown: str, span: Span | None, mapping: ColumnMap | None = None) -> Table:
    """Read a CSV with pandas' C parser; every parser failure becomes a diagnostic."""
    import pandas as pd

    _check_file(path, shown, span)
    try:
        with path.open("rb") as f:
            if b"\0" in f.read(8192):
                raise _fail("FL601", f"cannot read `{shown}`: it is a binary file, not CSV text", span,
                            "export the data as CSV (or use `parquet(...)` for a Parquet file)")
        header = pd.read_csv(path, nrows=0).columns
        names = match_columns(header, shown, "line", COLUMNS, span, mapping=mapping)
        frame = pd.read_csv(path, dtype={names["timestamp"]: str}, skip_blank_lines=False, engine="c")
    except pd.errors.EmptyDataError:
        raise _fail("FL607", f"`{shown}` is empty", span, "a data file needs a header line and at "
                                                          "least one bar") from None
    except UnicodeDecodeError:
        raise _fail("FL601", f"cannot read `{shown}`: it is not UTF-8 text", span,
                    "save the file as UTF-8 CSV") from None
    except pd.errors.ParserError as exc:
        raise _parser_error(str(exc), shown, span) from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise _fail("FL601", f"cannot read `{shown}`: {reason}", span) from None
    frame = frame[list(dict.fromkeys(names.values()))]  # a column may hold two fields (`open = "Close"`)
    numbers = np.arange(2, len(frame) + 2)
    blank = frame.isna().all(axis=1).to_numpy()
    if blank.any():  # blank lines are skipped, but they still count for line numbers
        frame, numbers = frame[~blank], numbers[~blank]
    if frame.empty:
        raise _fail("FL607", f"`{shown}` has a header but no bars", span,
                    "a data file needs at least one bar after the header line")
    return Table(shown, "line", numbers, {c: frame[n] for c, n in names.items()}, names)


def _parser_error(text: str, shown: str, span: Span | None) -> FlowError:
    """Turn pandas' tokenizer message (`Expected 6 fields in line 9, saw 7`) into FL603."""
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if found:
        want, line, saw = found.groups()
        return _fail("FL603", f"`{shown}` line {line}: {saw} fields, but the header has {want}", span,
                     "every line needs one value per column; check for a stray comma")
    where = re.search(r"(line|row) (\d+)", text)
    at = f" at {where.group(1)} {where.group(2)}" if where else ""
    return _fail("FL603", f"`{shown}` cannot be parsed as CSV{at}", span,
                 "check the quoting and the number of fields on that line")


def _read_parquet(path: Path, shown: str, symbol: str | None, span: Span | None,
                  mapping: ColumnMap | None = None) -> list[SymbolBars]:
    """Read a wide (one symbol) or long (a `symbol` column) Parquet file."""
    import pandas as pd

    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise _fail("FL601", f"cannot read `{shown}`: reading Parquet needs pyarrow", span,
                    "pip install 'flowc[parquet]'") from None
    _check_file(path, shown, span)
    try:
        found = pq.read_schema(path).names
        long = any(name.strip().lower() == "symbol" for name in found)
        names = match_columns(found, shown, "row", (*COLUMNS, "symbol") if long else COLUMNS, span, mapping=mapping)
        frame = pq.read_table(path, columns=list(dict.fromkeys(names.values()))).to_pandas(ignore_metadata=True)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise _fail("FL601", f"cannot read `{shown}` as Parquet: {exc}", span) from None
    if frame.empty:
        raise _fail("FL607", f"`{shown}` has no bars", span, "a data file needs at least one bar")
    table = Table(shown, "row", np.arange(1, len(frame) + 1), {c: frame[n] for c, n in names.items()}, names)
    if not long:
        return [_bars(table, symbol or path.stem.upper(), span)]
    codes, labels = pd.factorize(table.raw["symbol"])
    stamps, values = validate(table, codes, span)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(labels) + 1))
    out = []
    for k, label in enumerate(map(str, labels)):
        rows = order[bounds[k]:bounds[k + 1]]
        if symbol is None or label == symbol:
            out.append(SymbolBars(label, as_time(stamps[rows]), *(values[f][rows] for f in FIELDS)))
    if not out:
        has = ", ".join(f"`{s}`" for s in map(str, labels[:12]))
        raise _fail("FL607", f"`{shown}` has no bars for the symbol `{symbol}`; it has {has}", span,
                    did_you_mean(str(symbol), map(str, labels)))
    return out


# ---------------------------------------------------------------------------------------------
# Checks


def _csv_bars(path: Path, shown: str, symbol: str, span: Span | None, mapping: ColumnMap | None = None) -> SymbolBars:
    """One symbol's bars from a CSV file, checked when read (and cached once they pass)."""
    _check_file(path, shown, span)  # before the cache hashes the file: /dev/zero never ends
    stamps, values = load_checked(path, FIELDS, lambda: validate(_read_csv(path, shown, span, mapping), None, span),
                                  variant=mapping.key if mapping else "")
    return SymbolBars(symbol, as_time(stamps), *(values[f] for f in FIELDS))


def _bars(table: Table, symbol: str, span: Span | None) -> SymbolBars:
    stamps, values = validate(table, None, span)
    return SymbolBars(symbol, as_time(stamps), *(values[f] for f in FIELDS))


def as_time(microseconds: np.ndarray) -> np.ndarray:
    return microseconds.astype(np.int64).view("datetime64[us]")


def validate(table: Table, groups: np.ndarray | None,
              span: Span | None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Check every cell, vectorised; raise one FlowError with the first bad row of each problem.

    `groups` (long Parquet) gives each row's symbol: timestamps must increase within a symbol.
    """
    import pandas as pd

    problems: list[Diagnostic] = []

    def report(code: str, bad: np.ndarray, column: str, what: Callable[[int], str], hint: str) -> None:
        rows = np.flatnonzero(bad)
        if rows.size:
            i = int(rows[0])
            more = f" ({rows.size - 1} more {table.unit}s like it)" if rows.size > 1 else ""
            problems.append(diagnose(code, span, hint,
                                     detail=f"`{table.shown}` {table.unit} {table.numbers[i]}, column "
                                            f"`{table.names[column]}`: {what(i)}{more}"))

    def cell(column: str, i: int) -> str:
        """The offending cell, the only content of a data file a diagnostic quotes (cut at 32 characters)."""
        value = table.raw[column].iloc[i]
        if isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer():
            return str(int(value))
        text = str(value)
        return text if len(text) <= 32 else text[:31] + "…"

    adjusted = (ADJ_CLOSE,) if ADJ_CLOSE in table.raw else ()  # `adjusted = true`: checked as a price
    for column in (c for c in (*COLUMNS, *adjusted, "symbol") if c in table.raw):
        report("FL603", table.raw[column].isna().to_numpy(), column, lambda i: "the cell is empty or NaN",
               _MISSING_HINT)
    stamps, stamp_ok = _timestamps(table.raw["timestamp"])
    report("FL603", ~stamp_ok & table.raw["timestamp"].notna().to_numpy(), "timestamp",
           lambda i: f"`{cell('timestamp', i)}` is not a valid timestamp", _TIMESTAMP_HINT)
    values: dict[str, np.ndarray] = {}
    for column in (*FIELDS, *adjusted):
        raw = table.raw[column]
        number = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        report("FL603", np.isnan(number) & raw.notna().to_numpy(), column,
               lambda i, c=column: f"`{cell(c, i)}` is not a number",
               "write plain decimal numbers, like 101.25")
        report("FL603", np.isinf(number), column,
               lambda i, c=column: f"`{cell(c, i)}` is infinite",
               "prices and volumes must be finite numbers")
        values[column] = np.where(np.isinf(number), np.nan, number)  # one problem per cell
    for column in (*PRICES, *adjusted):
        report("FL605", values[column] <= 0, column,
               lambda i, c=column: f"the price {cell(c, i)} is not positive",
               "prices must be greater than zero")
    report("FL606", values["high"] < values["low"], "high",
           lambda i: f"the high {cell('high', i)} is below the low {cell('low', i)}",
           "a bar's high must be at least its low; check that the two columns are not swapped")
    report("FL608", values["volume"] < 0, "volume",
           lambda i: f"the volume {cell('volume', i)} is negative", "volume must be zero or more")
    _check_order(table, stamps, stamp_ok, groups, problems, span)
    if problems:
        raise FlowError(problems)
    return stamps, adjust(values)


def _timestamps(raw: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """int64 microseconds since the epoch (UTC, naive) and a mask of the rows that hold a valid timestamp."""
    import pandas as pd

    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        parsed = raw.dt.tz_convert("UTC").dt.tz_localize(None)
    elif pd.api.types.is_datetime64_dtype(raw.dtype):
        parsed = raw
    else:  # text (CSV), or dates and other objects (Parquet): parse their text
        parsed = pd.to_datetime(raw.astype(str), format="ISO8601", errors="coerce", utc=True)
        parsed = parsed.dt.tz_localize(None)
    array = parsed.to_numpy()
    ok = ~np.isnat(array)
    return np.where(ok, array.astype("datetime64[us]").view(np.int64), 0), ok


def _check_order(table: Table, stamps: np.ndarray, ok: np.ndarray, groups: np.ndarray | None,
                 problems: list[Diagnostic], span: Span | None) -> None:
    """FL604 at the first row whose timestamp is not after the previous one (of the same symbol)."""
    rows = np.flatnonzero(ok)
    if rows.size < 2:
        return
    if groups is not None:
        rows = rows[np.argsort(groups[rows], kind="stable")]
    same = np.ones(len(rows) - 1, bool) if groups is None else groups[rows[1:]] == groups[rows[:-1]]
    bad = np.flatnonzero(same & (stamps[rows[1:]] <= stamps[rows[:-1]]))
    if not bad.size:
        return
    first = bad[np.argmin(rows[1:][bad])]
    i, j = int(rows[first + 1]), int(rows[first])
    shown = [str(table.raw["timestamp"].iloc[k]) for k in (i, j)]
    whose = f" (symbol `{table.raw['symbol'].iloc[i]}`)" if groups is not None else ""
    more = f" ({bad.size - 1} more {table.unit}s like it)" if bad.size > 1 else ""
    problems.append(diagnose("FL604", span,
                             "timestamps must be strictly increasing, without duplicates: sort the rows "
                             "by timestamp and drop repeated ones",
                             detail=f"`{table.shown}` {table.unit} {table.numbers[i]}, column "
                                    f"`{table.names['timestamp']}`: `{shown[0]}` is not after `{shown[1]}` "
                                    f"on {table.unit} {table.numbers[j]}{whose}{more}"))


# ---------------------------------------------------------------------------------------------
# Alignment


def align(series: Sequence[SymbolBars], *, span: Span | None = None) -> MarketData:
    """Put several symbols on the sorted union of their timestamps (NaN, not present, where absent)."""
    if not series:
        raise _fail("FL607", "no data sources", span, "a data container needs at least one source")
    twice = {name: n for name, n in Counter(s.symbol for s in series).items() if n > 1}
    if twice:
        raise FlowError([diagnose("FL609", span, 'give each source its own name with `symbol = "..."`',
                                  name=name, n=n)
                         for name, n in twice.items()])
    first = series[0].timestamps
    if all(np.array_equal(s.timestamps, first) for s in series[1:]):
        stamps = first.copy()
    else:  # a stable sort merges the already sorted runs quickly
        merged = np.sort(np.concatenate([s.timestamps for s in series]), kind="stable")
        stamps = merged[np.concatenate(([True], merged[1:] != merged[:-1]))]
    shape = (len(stamps), len(series))
    present = np.zeros(shape, bool)
    fields = {f: np.full(shape, np.nan) for f in FIELDS}
    for j, bars in enumerate(series):
        rows = np.searchsorted(stamps, bars.timestamps)
        present[rows, j] = True
        for f, out in fields.items():
            out[rows, j] = getattr(bars, f)
    return MarketData(tuple(s.symbol for s in series), stamps, present=present, **fields)
