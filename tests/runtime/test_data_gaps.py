"""A stretch of missing bars is reported: in the manifest, with -v, and as FL615 when it is far longer than usual."""

import json

import numpy as np
import pandas as pd

from flowc.runtime.data import sample_path
from flowc.runtime.data_gaps import gap_problem, largest_gap
from flowc.runtime.manager import prepare
from flowc.tools.cli import main
from tests.conftest import EXAMPLES

SIMPLE = str(EXAMPLES / "simple_backtest.flow")


def cut(folder, start="2005-03-01", days=200):
    frame = pd.read_csv(sample_path("sp500"))
    stamps = pd.to_datetime(frame["timestamp"])
    gone = (stamps >= pd.Timestamp(start)) & (stamps < pd.Timestamp(start) + pd.Timedelta(days=days))
    path = folder / "spx.csv"
    frame[~gone].to_csv(path, index=False)
    return path


def test_two_hundred_missing_days_are_a_warning_with_the_numbers(tmp_path, capsys):
    path = cut(tmp_path)
    out = tmp_path / "r"
    assert main(["run", SIMPLE, "--data", f"SPX={path}", "--out", str(out), "-v", "--json"]) == 0
    err = capsys.readouterr().err
    assert "FL615 warning: the data of `SPX` has a gap of 203 days from 2005-02-28 to 2005-09-19" in err
    assert "; largest gap `SPX`, 203 days from 2005-02-28 to 2005-09-19 (203 times" in err
    gap = json.loads((out / "manifest.json").read_text())["market"]["largest_gap"]
    assert gap == {"symbol": "SPX", "from": "2005-02-28", "to": "2005-09-19", "days": 203.0, "typical_days": 1.0,
                   "steps": 203.0}


def test_weekends_holidays_and_a_closed_week_are_no_warning():
    prepared = prepare(SIMPLE)
    assert prepared.gap["days"] == 7.0 and prepared.gap["from"] == "2001-09-10"  # the market closed after 9/11
    assert not [d for d in prepared.warnings if d.code == "FL615"]


def test_intraday_nights_are_no_warning_but_a_missing_fortnight_is():
    minutes = np.concatenate([np.arange(np.datetime64("2020-01-06T14:30"), np.datetime64("2020-01-06T21:00"))
                              + np.timedelta64(d, "D") for d in (0, 1, 2, 3, 4, 7, 8, 21)])
    from flowc.runtime.data import MarketData

    n = len(minutes)
    ones = np.ones((n, 1))
    market = MarketData(["X"], minutes.astype("datetime64[us]"), ones, ones, ones, ones, ones, np.ones((n, 1), bool))
    gap = largest_gap(market)
    assert gap["from"] == "2020-01-14T20:59:00" and gap["to"] == "2020-01-27T14:30:00"
    assert gap_problem(gap) is not None
    weeks = largest_gap(MarketData(["X"], market.timestamps[:5 * 390], ones[:1950], ones[:1950], ones[:1950],
                                   ones[:1950], ones[:1950], market.present[:1950]))
    assert gap_problem(weeks) is None  # nights between sessions: ~1,050 typical steps, but less than a week
