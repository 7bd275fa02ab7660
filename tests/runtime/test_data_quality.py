"""The data-quality summary: per symbol bars, dates, spacing, gaps, missing steps and jumps; -v and the manifest."""

import json

import numpy as np
import pytest

from flowc.runtime.data import SymbolBars, align
from flowc.runtime.data_quality import describe, summary
from flowc.tools.cli import main
from tests.conftest import EXAMPLES


def bars(symbol: str, days: list[str], closes: list[float]) -> SymbolBars:
    stamps = np.array(days, dtype="datetime64[D]").astype("datetime64[us]")
    close = np.array(closes, dtype=float)
    return SymbolBars(symbol, stamps, close, close, close, close, np.ones(len(close)))


def test_gaps_missing_steps_and_jumps():
    days = [str(np.datetime64("2020-01-01") + k) for k in range(40)]
    a = bars("A", days, [100.0] * 40)
    b_days = days[:5] + days[7:10] + days[35:]  # two steps missing, then a gap of 25 days
    closes = [100.0] * 5 + [50.0] * 3 + [49.0] * 5  # a halving: an unadjusted 2:1 split
    b = bars("B", b_days, closes)
    market = align([a, b])
    ra, rb = summary(market)
    assert ra == {"symbol": "A", "bars": 40, "first": "2020-01-01", "last": "2020-02-09", "bars_per_day": 1.0,
                  "typical_spacing_days": 1.0, "largest_gap_days": 1.0, "largest_gap_from": "2020-01-01",
                  "long_gaps": 0, "missing_steps": 0, "jumps": 0, "largest_jump": 0.0,
                  "largest_jump_at": "2020-01-02"}
    assert rb["bars"] == 13 and rb["missing_steps"] == 27 and rb["long_gaps"] == 1
    assert (rb["largest_gap_days"], rb["largest_gap_from"]) == (26.0, "2020-01-10")
    assert rb["jumps"] == 1 and rb["largest_jump"] == -0.5 and rb["largest_jump_at"] == "2020-01-08"
    assert describe(rb) == ("`B`: 13 bars from 2020-01-01 to 2020-02-09, 1 per day, spacing 1 day, largest gap "
                            "26 days from 2020-01-10, 1 long gap, 1 jump over 30% (largest -50.0% at 2020-01-08), "
                            "27 missing steps")
    late = summary(market, first=20)[1]  # from --start: the steps before it do not count
    assert late["bars"] == 5 and late["first"] == "2020-02-05" and late["missing_steps"] == 0


def test_intraday_bars_per_day_and_a_symbol_without_bars():
    stamps = (np.datetime64("2020-01-02T14:30") + np.arange(26) * np.timedelta64(15, "m")).astype("datetime64[us]")
    one = SymbolBars("X", stamps, *([np.full(26, 10.0)] * 4), np.ones(26))
    market = align([one, bars("Y", ["2020-01-01"], [1.0])])
    x, y = summary(market, first=1)
    assert x["bars_per_day"] == 26.0 and x["typical_spacing_days"] == pytest.approx(15 / 1440, abs=1e-6)
    assert "spacing 15 minutes" in describe(x)
    assert y["bars"] == 0 and describe(y) == "`Y`: no bars"


def test_verbose_prints_it_and_the_manifest_records_it(tmp_path, capsys):
    capsys.readouterr()
    assert main(["run", str(EXAMPLES / "two_indices.flow"), "-v", "--quiet", "--out", str(tmp_path / "o"),
                 "--engine", "reference"]) == 0
    err = capsys.readouterr().err
    assert "flowc: data `SPX`: 5,031 bars from 1999-01-04 to 2018-12-31, 1 per day" in err
    assert "flowc: data `NDX`: 5,031 bars" in err
    recorded = json.loads((tmp_path / "o" / "manifest.json").read_text())["market"]["quality"]
    assert [r["symbol"] for r in recorded] == ["SPX", "NDX"] and recorded[0]["long_gaps"] == 0
