"""Column names given by a source (`csv(path, close = "Last")`) and adjusted prices (`adjusted = true`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flowc.dsl.diagnostics import FlowError
from flowc.dsl.source import Span
from flowc.runtime.data import load_source
from flowc.runtime.data_columns import ColumnMap, adjust
from tests.conftest import EXAMPLES

YAHOO = ("Date,Open,High,Low,Close,Adj Close,Volume\n"
         "2020-01-02,100,110,90,105,52.5,1000\n"
         "2020-01-03,105,106,100,104,52.25,1100\n")
SPAN = Span("x.flow", 3, 5, 3, 40)


def load(tmp_path: Path, text: str, kind: str = "csv", **args: object):
    name = "bars.csv" if kind == "csv" else "bars.parquet"
    if kind == "csv":
        (tmp_path / name).write_text(text)
    else:
        pd.read_csv(pd.io.common.StringIO(text)).to_parquet(tmp_path / name)
    return load_source(kind, {"path": name, **args}, base_dir=tmp_path, span=SPAN)[0]


def fails(tmp_path: Path, text: str, **args: object):
    with pytest.raises(FlowError) as caught:
        load(tmp_path, text, **args)
    return caught.value.diagnostics


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_adjusted_prices_scale_the_bar_by_the_adjusted_close(tmp_path, kind):
    plain = load(tmp_path, YAHOO, kind)
    assert list(plain.close) == [105.0, 104.0]  # `Close`, not `Adj Close`, unless asked
    bars = load(tmp_path, YAHOO, kind, adjusted=True)
    factor = np.array([52.5, 52.25]) / np.array([105.0, 104.0])
    assert np.array_equal(bars.close, [52.5, 52.25])  # the adjusted close itself, not close * factor
    assert np.array_equal(bars.open, np.array([100.0, 105.0]) * factor)
    assert np.array_equal(bars.high, np.array([110.0, 106.0]) * factor)
    assert np.array_equal(bars.low, np.array([90.0, 100.0]) * factor)
    assert np.array_equal(bars.volume, plain.volume)


def test_the_cache_keeps_each_mapping_of_a_file_apart(tmp_path):
    for _ in range(2):  # the second round reads the cache
        assert load(tmp_path, YAHOO).close[0] == 105.0
        assert load(tmp_path, YAHOO, adjusted=True).close[0] == 52.5
        assert load(tmp_path, YAHOO, close="Adj Close").open[0] == 100.0


def test_a_source_names_its_columns(tmp_path):
    text = "Day,O,H,L,Last,Vol.,close\n2020-01-02,100,110,90,105,1000,1\n2020-01-03,105,106,100,104,1100,1\n"
    bars = load(tmp_path, text, timestamp="Day", open="O", high="h", low="L", close="Last", volume="Vol.")
    assert list(bars.close) == [105.0, 104.0] and list(bars.volume) == [1000.0, 1100.0]  # the mapping wins
    assert bars.timestamps[0] == np.datetime64("2020-01-02")
    custom = load(tmp_path, "Day,Vol.,Price\n2020-01-02,5,10\n", timestamp="Day", open="Price", high="Price",
                  low="Price", close="Price", volume="Vol.")  # one column can hold several fields
    assert (custom.open[0], custom.high[0], custom.low[0], custom.close[0]) == (10.0, 10.0, 10.0, 10.0)
    adj = load(tmp_path, YAHOO.replace("Adj Close", "Total Return"), adjusted=True, adj_close="Total Return")
    assert adj.close[0] == 52.5


def test_a_name_the_file_lacks_is_fl602_at_the_source_with_the_nearest_column(tmp_path):
    [d] = fails(tmp_path, YAHOO, close="Adj Clsoe")
    assert d.code == "FL602" and d.span == SPAN and d.hint == "did you mean `Adj Close`?"
    assert d.message == ('`bars.csv` line 1 (the header): no column `Adj Clsoe` (named by `close = "Adj Clsoe"`); '
                         "the file has `Date`, `Open`, `High`, `Low`, `Close`, `Adj Close`, `Volume`")
    two = fails(tmp_path, YAHOO, open="Opn", volume="Qty")
    assert [d.code for d in two] == ["FL602", "FL602"] and "`Opn`" in two[0].message and "`Qty`" in two[1].message


def test_adjusted_needs_exactly_one_adjusted_close(tmp_path):
    [d] = fails(tmp_path, YAHOO.replace("Adj Close", "Other"), adjusted=True)
    assert d.code == "FL602" and "`adjusted = true` reads the adjusted close" in d.message
    assert "no adjusted close column" in d.message and d.hint == 'name the column with `adj_close = "..."`'
    twice = YAHOO.replace("Volume\n", "Volume,adjclose\n").replace("1000\n", "1000,1\n").replace("1100\n", "1100,1\n")
    [d] = fails(tmp_path, twice, adjusted=True)
    assert "2 adjusted close columns (`Adj Close`, `adjclose`)" in d.message
    [d] = fails(tmp_path, YAHOO, adj_close="Adj Close")
    assert d.code == "FL509" and d.hint == "add `adjusted = true`, or leave out `adj_close`"


def test_a_bad_adjusted_close_is_reported_in_its_column(tmp_path):
    [d] = fails(tmp_path, YAHOO.replace("52.25", "-1"), adjusted=True)
    assert d.code == "FL605" and "line 3, column `Adj Close`: the price -1 is not positive" in d.message
    [d] = fails(tmp_path, YAHOO.replace("52.25", ""), adjusted=True)
    assert d.code == "FL603" and "column `Adj Close`" in d.message


def test_no_mapping_changes_nothing():
    assert ColumnMap.of({"path": "x.csv", "symbol": None}).key == ""
    values = {"open": np.ones(2)}
    assert adjust(values) is values


def test_the_binder_checks_the_arguments(tmp_path):
    from flowc.tools.api import compile

    base = (EXAMPLES / "simple_backtest.flow").read_text()
    for source, code, words in (('csv("x.csv", adjusted = 1)', "FL501", "must be true or false"),
                                ('csv("x.csv", clsoe = "Close")', "FL510", "did you mean `close`?"),
                                ('csv("x.csv", close = 3)', "FL501", "must be a string")):
        path = tmp_path / "f.flow"
        path.write_text(base.replace('sample("sp500", symbol = "SPX")', source))
        found = compile(path, "analyse").diagnostics
        assert [d.code for d in found] == [code], found
        assert words in f"{found[0].message} {found[0].hint}"
