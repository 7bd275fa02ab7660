"""The data layer: loading every kind of source, alignment, and one exact diagnostic per bad-data case."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flowc.dsl.diagnostics import FlowError
from flowc.dsl.source import Span
from flowc.runtime.data import (
    MarketData,
    SymbolBars,
    align,
    load_source,
    sample_path,
    synthetic,
)

SPAN = Span("backtest.flow", 4, 22, 4, 40)
HEADER = "timestamp,open,high,low,close,volume\n"
GOOD = HEADER + "2020-01-01,10,11,9,10.5,100\n2020-01-02,10.5,12,10,11,200\n2020-01-03,11,11.5,10.5,11,0\n"


def ns(*days: str) -> np.ndarray:
    """Timestamps as flowc keeps them: datetime64[us]."""
    return pd.DatetimeIndex(days).as_unit("us").to_numpy()


def csv(tmp_path: Path, text: str | bytes, name: str = "bad.csv", **args: object) -> list[SymbolBars]:
    """Write `text` to tmp_path/name and load it as `csv(name, ...)` from a .flow file in tmp_path."""
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return load_source("csv", {"path": name, "symbol": None, **args}, base_dir=tmp_path, span=SPAN)


def problems(tmp_path: Path, text: str | bytes, name: str = "bad.csv") -> list[tuple[str, str, str | None]]:
    """The (code, message, hint) of each diagnostic that loading `text` raises, all at SPAN."""
    with pytest.raises(FlowError) as caught:
        csv(tmp_path, text, name)
    assert all(d.span == SPAN for d in caught.value.diagnostics)
    return [(d.code, d.message, d.hint) for d in caught.value.diagnostics]


def only(tmp_path: Path, text: str | bytes, name: str = "bad.csv") -> tuple[str, str]:
    """The code and message of the one diagnostic that loading `text` raises."""
    found = problems(tmp_path, text, name)
    assert len(found) == 1, found
    return found[0][:2]


# ------------------------------------------------------------------------------------------------
# Bundled samples


@pytest.mark.parametrize(("name", "first_close"), [("sp500", 1228.099976), ("nasdaq", 2208.050049)])
def test_samples_have_5031_daily_bars(name: str, first_close: float) -> None:
    (bars,) = load_source("sample", {"name": name, "symbol": None}, base_dir=Path("/nowhere"))
    assert bars.symbol == name.upper()
    assert len(bars.timestamps) == 5031
    assert bars.timestamps.dtype == np.dtype("datetime64[us]") and bars.close.dtype == np.float64
    assert bars.timestamps[0] == ns("1999-01-04")[0] and bars.timestamps[-1] == ns("2018-12-31")[0]
    assert (np.diff(bars.timestamps) > 0).all()
    assert bars.close[0] == first_close
    assert sample_path(name).name == f"{name}.csv" and sample_path(name).is_file()


def test_sample_symbol_can_be_renamed() -> None:
    (bars,) = load_source("sample", {"name": "sp500", "symbol": "SPX"}, base_dir=Path("."))
    assert bars.symbol == "SPX"


def test_unknown_sample_suggests_a_name() -> None:
    with pytest.raises(FlowError) as caught:
        load_source("sample", {"name": "sp5000"}, base_dir=Path("."), span=SPAN)
    (d,) = caught.value.diagnostics
    assert (d.code, d.message, d.hint, d.span) == (
        "FL509", "unknown sample `sp5000`; the samples are `nasdaq` and `sp500`",
        "did you mean `sp500`?", SPAN)
    with pytest.raises(FlowError):
        sample_path("dow")


def test_align_both_samples() -> None:
    series = [*load_source("sample", {"name": "sp500"}, base_dir=Path(".")),
              *load_source("sample", {"name": "nasdaq"}, base_dir=Path("."))]
    market = align(series)
    assert market.symbols == ("SP500", "NASDAQ")
    assert (market.n_steps, market.n_symbols, market.bars) == (5031, 2, 10062)
    assert market.present.all()
    for field in ("open", "high", "low", "close", "volume"):
        array = getattr(market, field)
        assert array.shape == (5031, 2) and array.dtype == np.float64 and array.flags.c_contiguous
    np.testing.assert_array_equal(market.close[:, 1], series[1].close)


# ------------------------------------------------------------------------------------------------
# Alignment


def bars(symbol: str, days: list[str], closes: list[float]) -> SymbolBars:
    c = np.array(closes, dtype=np.float64)
    return SymbolBars(symbol, ns(*days), c, c + 1, c - 1, c, np.full(len(c), 5.0))


def test_align_puts_missing_bars_as_nan_and_not_present() -> None:
    a = bars("A", ["2020-01-01", "2020-01-02", "2020-01-06"], [1, 2, 4])
    b = bars("B", ["2020-01-02", "2020-01-03"], [20, 30])
    market = align([a, b])
    assert isinstance(market, MarketData)
    union = ns("2020-01-01", "2020-01-02", "2020-01-03", "2020-01-06")
    np.testing.assert_array_equal(market.timestamps, union)
    np.testing.assert_array_equal(market.present, [[True, False], [True, True], [False, True], [True, False]])
    np.testing.assert_array_equal(market.close, [[1, np.nan], [2, 20], [np.nan, 30], [4, np.nan]])
    np.testing.assert_array_equal(market.high[:, 1], [np.nan, 21, 31, np.nan])
    assert np.isnan(market.volume[~market.present]).all() and (market.volume[market.present] == 5).all()
    assert market.bars == 5 and market.n_steps == 4


def test_align_rejects_one_symbol_from_two_sources() -> None:
    a = bars("A", ["2020-01-01"], [1])
    with pytest.raises(FlowError) as caught:
        align([a, bars("B", ["2020-01-01"], [1]), a], span=SPAN)
    (d,) = caught.value.diagnostics
    assert (d.code, d.message, d.span) == ("FL609", "the symbol `A` comes from 2 data sources", SPAN)
    assert d.hint == 'give each source its own name with `symbol = "..."`'


def test_align_needs_a_source() -> None:
    with pytest.raises(FlowError, match="FL607 no data sources"):
        align([])


# ------------------------------------------------------------------------------------------------
# Synthetic


def test_synthetic_is_deterministic_and_well_formed() -> None:
    first = load_source("synthetic", {"bars": 300, "symbols": 3, "seed": 7}, base_dir=Path("."))
    again = synthetic(300, 3, 7)
    other = synthetic(300, 3, 8)
    assert [s.symbol for s in first] == ["S0", "S1", "S2"]
    for x, y, z in zip(first, again, other, strict=True):
        for field in ("timestamps", "open", "high", "low", "close", "volume"):
            np.testing.assert_array_equal(getattr(x, field), getattr(y, field))
        assert not np.array_equal(x.close, z.close)
        assert x.close.shape == (300,) and x.timestamps.dtype == np.dtype("datetime64[us]")
        days = pd.bdate_range("2000-01-03", periods=300).as_unit("us").to_numpy()
        np.testing.assert_array_equal(x.timestamps, days)
        assert (x.low > 0).all() and (x.volume > 0).all()
        assert (x.high >= np.maximum(x.open, x.close)).all() and (x.low <= np.minimum(x.open, x.close)).all()
    assert not np.array_equal(first[0].close, first[1].close)
    market = align(first)
    assert market.present.all() and market.n_steps == 300


def test_synthetic_defaults_and_limits() -> None:
    (one,) = load_source("synthetic", {}, base_dir=Path("."))
    assert len(one.close) == 1000
    many = synthetic(1_000_000)[0].timestamps  # past 2262: microseconds, not nanoseconds
    assert len(many) == 1_000_000 and (np.diff(many) > np.timedelta64(0)).all()
    np.testing.assert_array_equal(many[:68_000], pd.bdate_range("2000-01-03", periods=68_000).to_numpy())
    with pytest.raises(FlowError, match="FL509 `symbols = 0` is out of range"):
        synthetic(10, 0)


# ------------------------------------------------------------------------------------------------
# CSV and Parquet that load


def test_csv_symbol_defaults_to_the_upper_cased_stem(tmp_path: Path) -> None:
    (loaded,) = csv(tmp_path, GOOD, "spy.csv")
    assert loaded.symbol == "SPY"
    np.testing.assert_array_equal(loaded.timestamps, ns("2020-01-01", "2020-01-02", "2020-01-03"))
    np.testing.assert_array_equal(loaded.close, [10.5, 11, 11])
    np.testing.assert_array_equal(loaded.volume, [100, 200, 0])
    assert csv(tmp_path, GOOD, "spy.csv", symbol="X")[0].symbol == "X"


def test_csv_paths_are_relative_to_the_flow_file(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "qqq.csv").write_text(GOOD)
    args = {"path": "data/qqq.csv", "symbol": None}
    assert load_source("csv", args, base_dir=tmp_path)[0].symbol == "QQQ"
    absolute = {"path": str(tmp_path / "data" / "qqq.csv")}
    assert len(load_source("csv", absolute, base_dir=Path("/elsewhere"))[0].close) == 3


def test_csv_header_is_case_insensitive_and_extra_columns_are_ignored(tmp_path: Path) -> None:
    text = "Date_Note,Timestamp,Open,HIGH,Low,Close,Adj Close,Volume\nx,2020-01-01,1,2,1,2,abc,3\n"
    (loaded,) = csv(tmp_path, text)
    assert loaded.open[0] == 1 and loaded.volume[0] == 3


YAHOO = ("Date,Open,High,Low,Close,Adj Close,Volume\n"
         "2020-01-02,3244.7,3258.1,3235.5,3257.8,3257.8,3459930000\n"
         "2020-01-03,3226.4,3246.2,3222.3,3234.9,3234.9,3484700000\n")


@pytest.mark.parametrize("name", ["Date", "datetime", "TIME"])
def test_a_timestamp_column_named_as_exports_name_it_reads_like_timestamp(tmp_path: Path, name: str) -> None:
    (exported,) = csv(tmp_path, YAHOO.replace("Date", name), "yahoo.csv")
    (canonical,) = csv(tmp_path, YAHOO.replace("Date", "timestamp"), "canonical.csv")
    assert np.array_equal(exported.timestamps, canonical.timestamps) and np.array_equal(exported.close,
                                                                                          canonical.close)
    assert exported.close[1] == 3234.9  # `close`, not `Adj Close`


def test_a_date_beside_a_time_column_is_not_guessed(tmp_path: Path) -> None:
    code, message = only(tmp_path, "Date,Time,Open,High,Low,Close,Volume\n2020-01-02,09:30,1,2,1,2,3\n")
    assert code == "FL602" and "no column `timestamp`" in message


def test_csv_datetimes_with_offsets_become_naive_utc(tmp_path: Path) -> None:
    text = HEADER + ("2020-01-01T09:30:00-05:00,1,2,1,2,3\n2020-01-01 15:00:00+00:00,1,2,1,2,3\n"
                     "2020-01-02,1,2,1,2,3\n")
    (loaded,) = csv(tmp_path, text)
    np.testing.assert_array_equal(loaded.timestamps, ns("2020-01-01 14:30", "2020-01-01 15:00", "2020-01-02"))


def test_blank_lines_are_skipped_but_still_counted(tmp_path: Path) -> None:
    text = HEADER + "2020-01-01,1,2,1,2,3\n\n2020-01-02,1,2,1,-2,3\n\n"
    assert only(tmp_path, text)[1] == "`bad.csv` line 4, column `close`: the price -2 is not positive"
    assert len(csv(tmp_path, HEADER + "2020-01-01,1,2,1,2,3\n\n2020-01-02,1,2,1,2,3\n\n")[0].close) == 2


def frame(symbols: list[str] | None = None) -> pd.DataFrame:
    df = pd.DataFrame({"timestamp": pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-01", "2020-01-03"]),
                       "open": [1.0, 2, 10, 3], "high": [2.0, 3, 11, 4], "low": [0.5, 1, 9, 2],
                       "close": [1.5, 2.5, 10.5, 3.5], "volume": [10, 20, 30, 40]})
    if symbols:
        df.insert(1, "Symbol", symbols)
    return df


def test_parquet_wide_round_trip(tmp_path: Path) -> None:
    df = frame().iloc[[0, 1, 3]]
    df.to_parquet(tmp_path / "spy.parquet")
    (loaded,) = load_source("parquet", {"path": "spy.parquet"}, base_dir=tmp_path)
    assert loaded.symbol == "SPY"
    np.testing.assert_array_equal(loaded.timestamps, ns("2020-01-01", "2020-01-02", "2020-01-03"))
    np.testing.assert_array_equal(loaded.close, df["close"])
    np.testing.assert_array_equal(loaded.volume, [10, 20, 40])


def test_parquet_long_round_trip(tmp_path: Path) -> None:
    frame(["B", "B", "A", "B"]).to_parquet(tmp_path / "many.parquet")
    loaded = load_source("parquet", {"path": "many.parquet"}, base_dir=tmp_path)
    assert [s.symbol for s in loaded] == ["B", "A"]
    np.testing.assert_array_equal(loaded[0].close, [1.5, 2.5, 3.5])
    np.testing.assert_array_equal(loaded[0].timestamps, ns("2020-01-01", "2020-01-02", "2020-01-03"))
    np.testing.assert_array_equal(loaded[1].open, [10])
    (only_a,) = load_source("parquet", {"path": "many.parquet", "symbol": "A"}, base_dir=tmp_path)
    assert only_a.symbol == "A" and only_a.close[0] == 10.5
    with pytest.raises(FlowError) as caught:
        load_source("parquet", {"path": "many.parquet", "symbol": "b"}, base_dir=tmp_path, span=SPAN)
    (d,) = caught.value.diagnostics
    assert (d.code, d.message) == ("FL607", "`many.parquet` has no bars for the symbol `b`; it has `B`, `A`")


def test_parquet_missing_column(tmp_path: Path) -> None:
    frame().drop(columns="volume").to_parquet(tmp_path / "x.parquet")
    with pytest.raises(FlowError, match=r"FL602 `x.parquet`: no column `volume`; the file has `timestamp`, `open`"):
        load_source("parquet", {"path": "x.parquet"}, base_dir=tmp_path, span=SPAN)


def test_parquet_checks_use_row_numbers_and_timestamps_per_symbol(tmp_path: Path) -> None:
    df = frame(["A", "A", "B", "A"])
    df.loc[3, "timestamp"] = pd.Timestamp("2020-01-02")
    df.loc[2, "volume"] = -1
    df.to_parquet(tmp_path / "many.parquet")
    with pytest.raises(FlowError) as caught:
        load_source("parquet", {"path": "many.parquet"}, base_dir=tmp_path, span=SPAN)
    assert [d.message for d in caught.value.diagnostics] == [
        "`many.parquet` row 3, column `volume`: the volume -1 is negative",
        "`many.parquet` row 4, column `timestamp`: `2020-01-02 00:00:00` is not after `2020-01-02 00:00:00` "
        "on row 2 (symbol `A`)",
    ]


def test_parquet_without_pyarrow_says_how_to_install_it(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(FlowError) as caught:
        load_source("parquet", {"path": "x.parquet"}, base_dir=tmp_path, span=SPAN)
    (d,) = caught.value.diagnostics
    assert (d.code, d.message, d.hint) == ("FL601", "cannot read `x.parquet`: reading Parquet needs pyarrow",
                                           "pip install 'flowc[parquet]'")


def test_a_file_that_is_not_parquet(tmp_path: Path) -> None:
    (tmp_path / "x.parquet").write_text(GOOD)
    with pytest.raises(FlowError) as caught:
        load_source("parquet", {"path": "x.parquet"}, base_dir=tmp_path, span=SPAN)
    (d,) = caught.value.diagnostics
    assert d.code == "FL601" and d.message.startswith("cannot read `x.parquet` as Parquet: ")


# ------------------------------------------------------------------------------------------------
# Bad data: one exact message per case


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FlowError) as caught:
        load_source("csv", {"path": "nope.csv"}, base_dir=tmp_path, span=SPAN)
    (d,) = caught.value.diagnostics
    assert (d.code, d.message, d.span) == (
        "FL601", f"cannot read `nope.csv`: no such file (looked for {tmp_path.resolve() / 'nope.csv'})", SPAN)
    assert d.hint == "relative paths start at the folder of the .flow file"


def test_directory_instead_of_a_file(tmp_path: Path) -> None:
    (tmp_path / "bars.csv").mkdir()
    with pytest.raises(FlowError, match=r"FL601 cannot read `bars.csv`: it is a directory, not a file"):
        load_source("csv", {"path": "bars.csv"}, base_dir=tmp_path, span=SPAN)


def test_binary_and_non_utf8_files(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
    assert only(tmp_path, png) == ("FL601", "cannot read `bad.csv`: it is a binary file, not CSV text")
    latin1 = (GOOD + "2020-01-04,1,2,1,2,3\xe9\n").encode("latin-1")
    assert only(tmp_path, latin1) == ("FL601", "cannot read `bad.csv`: it is not UTF-8 text")


def test_missing_columns(tmp_path: Path) -> None:
    (code, message, hint), = problems(tmp_path, "Timestamp,Open,Close,Adj Close\n2020-01-01,1,2,2\n")
    assert code == "FL602"
    assert message == ("`bad.csv` line 1 (the header): no columns `high`, `low`, `volume`; "
                       "the file has `Timestamp`, `Open`, `Close`, `Adj Close`")
    assert hint == ("the columns are timestamp (or one of date, datetime, time), open, high, low, close, volume "
                    "(any letter case; other columns are ignored); a source can name them, "
                    "`csv(path, close = \"Last\")`")
    assert only(tmp_path, "timestamp,open,high,low,close\n2020-01-01,1,2,1,2\n") == (
        "FL602", "`bad.csv` line 1 (the header): no column `volume`; "
                 "the file has `timestamp`, `open`, `high`, `low`, `close`")


@pytest.mark.parametrize(("row", "message"), [
    ("2020-01-02,1,2,,2,3", "`bad.csv` line 3, column `low`: the cell is empty or NaN"),
    ("2020-01-02,1,2,1,NaN,3", "`bad.csv` line 3, column `close`: the cell is empty or NaN"),
    (",1,2,1,2,3", "`bad.csv` line 3, column `timestamp`: the cell is empty or NaN"),
    ("2020-01-02,1,2,1,2", "`bad.csv` line 3, column `volume`: the cell is empty or NaN"),
    ("2020-01-02,1,inf,1,2,3", "`bad.csv` line 3, column `high`: `inf` is infinite"),
    ("2020-01-02,1,2,1,2,-Infinity", "`bad.csv` line 3, column `volume`: `-inf` is infinite"),
    ("2020-01-02,1.2.3,2,1,2,3", "`bad.csv` line 3, column `open`: `1.2.3` is not a number"),
    ("2020-02-30,1,2,1,2,3", "`bad.csv` line 3, column `timestamp`: `2020-02-30` is not a valid timestamp"),
    ("yesterday,1,2,1,2,3", "`bad.csv` line 3, column `timestamp`: `yesterday` is not a valid timestamp"),
    ("2020-13-01,1,2,1,2,3", "`bad.csv` line 3, column `timestamp`: `2020-13-01` is not a valid timestamp"),
    ("2020-01-02,1,2,1,2,3,4", "`bad.csv` line 3: 7 fields, but the header has 6"),
])
def test_missing_infinite_and_unparseable_values(tmp_path: Path, row: str, message: str) -> None:
    assert only(tmp_path, HEADER + "2020-01-01,1,2,1,2,3\n" + row + "\n") == ("FL603", message)


def test_timestamps_must_strictly_increase(tmp_path: Path) -> None:
    rows = "2020-01-01,1,2,1,2,3\n2020-01-03,1,2,1,2,3\n2020-01-02,1,2,1,2,3\n"
    assert only(tmp_path, HEADER + rows) == (
        "FL604", "`bad.csv` line 4, column `timestamp`: `2020-01-02` is not after `2020-01-03` on line 3")
    rows = "2020-01-01,1,2,1,2,3\n2020-01-01 00:00:00,1,2,1,2,3\n"
    assert only(tmp_path, HEADER + rows) == (
        "FL604",
        "`bad.csv` line 3, column `timestamp`: `2020-01-01 00:00:00` is not after `2020-01-01` on line 2")


@pytest.mark.parametrize(("row", "code", "message"), [
    ("2020-01-02,0,2,1,2,3", "FL605", "`bad.csv` line 3, column `open`: the price 0 is not positive"),
    ("2020-01-02,1,2,-0.5,2,3", "FL605", "`bad.csv` line 3, column `low`: the price -0.5 is not positive"),
    ("2020-01-02,1,0.9,1,1,3", "FL606", "`bad.csv` line 3, column `high`: the high 0.9 is below the low 1"),
    ("2020-01-02,1,2,1,2,-7", "FL608", "`bad.csv` line 3, column `volume`: the volume -7 is negative"),
])
def test_prices_and_volumes(tmp_path: Path, row: str, code: str, message: str) -> None:
    assert only(tmp_path, HEADER + "2020-01-01,1,2,1,2,3\n" + row + "\n") == (code, message)


def test_empty_file_and_header_only(tmp_path: Path) -> None:
    assert only(tmp_path, "") == ("FL607", "`bad.csv` is empty")
    assert only(tmp_path, HEADER) == ("FL607", "`bad.csv` has a header but no bars")
    assert only(tmp_path, HEADER + "\n\n") == ("FL607", "`bad.csv` has a header but no bars")


def test_all_problems_of_a_file_come_together(tmp_path: Path) -> None:
    rows = ("2020-01-01,1,2,1,2,3\n2020-01-02,-1,2,1,2,3\n2020-01-03,-2,2,1,2,-3\n"
            "2020-01-03,-3,2,1,abc,3\n")
    found = problems(tmp_path, HEADER + rows)
    assert [(code, message) for code, message, _ in found] == [
        ("FL603", "`bad.csv` line 5, column `close`: `abc` is not a number"),
        ("FL605", "`bad.csv` line 3, column `open`: the price -1 is not positive (2 more lines like it)"),
        ("FL608", "`bad.csv` line 4, column `volume`: the volume -3 is negative"),
        ("FL604", "`bad.csv` line 5, column `timestamp`: `2020-01-03` is not after `2020-01-03` on line 4"),
    ]
    assert all(hint for _, _, hint in found)
