"""`examples/weekly_trend.flow` against the independent oracle of `weekly_trend.py`.

- the oracle alone: its weeks against pandas' own ISO-week grouping (each week seen at the first
  bar of the next one, with its last close), its averages against pandas' rolling means;
- `flowc run examples/weekly_trend.flow [--data SPX=CSV] --out DIR`, both engines: every fill and
  the equity of every step, bit for bit, on the bundled sample, the unseen data sets and `odd_weeks`
  (short weeks, missing weeks, a week of one bar, ISO week 53 and year ends falling mid-week).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from . import unseen
from .harness import ROOT, read_csv_rows, run_flowc, text
from .weekly_trend import WeeklyRun, ema, weekly_trend

EXAMPLE = ROOT / "examples" / "weekly_trend.flow"


def odd_weeks() -> pd.DataFrame:
    """Business days from mid-December 2019 (2020 has an ISO week 53) with a fifth of the days gone,
    two whole weeks gone and one week of a single bar."""
    rng = np.random.default_rng(53)
    days = pd.bdate_range("2019-12-16", "2021-08-31")
    keep = rng.uniform(size=len(days)) > 0.2
    iso = days.isocalendar()
    keep &= ~((iso["year"] == 2020) & iso["week"].isin([14, 33])).to_numpy()  # two weeks without a bar
    lone = ((iso["year"] == 2021) & (iso["week"] == 10)).to_numpy()
    keep &= ~lone | (np.cumsum(lone) == 1)  # week 10 of 2021: its Monday alone
    index = pd.DatetimeIndex(days[keep], name="timestamp")
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0004, 0.013, len(index))))
    open_ = close * np.exp(rng.normal(0.0, 0.004, len(index)))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.01, len(index)))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.01, len(index)))
    volume = rng.integers(1_000, 1_000_000, len(index))
    frame = pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index)
    return frame.round({"open": 2, "high": 2, "low": 2, "close": 2})


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    with resources.as_file(resources.files("flowc.runtime").joinpath("sample_data", "sp500.csv")) as sample:
        sp500 = unseen.read(Path(sample))
    return {"sp500": sp500, "odd_weeks": odd_weeks(), **unseen.frames()}


DATASETS = ("sp500", "odd_weeks", *unseen.frames())


@pytest.mark.parametrize("name", DATASETS)
def test_weeks_are_seen_at_the_next_weeks_first_bar_with_their_last_close(frames, name):
    df = frames[name]
    run = weekly_trend(df)
    iso = df.index.isocalendar()
    weeks = df.groupby([iso["year"].to_numpy(), iso["week"].to_numpy()], sort=False)
    first = weeks.apply(lambda w: df.index.get_loc(w.index[0])).to_numpy()
    steps, closes, means = (np.array(column) for column in zip(*run.weeks, strict=True))
    assert list(steps) == list(first[1:])  # every week but the last, at its successor's first bar
    last_close = weeks["close"].last().to_numpy()[:-1]
    assert (closes == last_close).all()
    rolling = pd.Series(last_close).rolling(10).mean().to_numpy()
    assert np.isnan(means[:9]).all()
    np.testing.assert_allclose(means[9:], rolling[9:], rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", DATASETS)
def test_the_average_matches_pandas(frames, name):
    close = frames[name]["close"]
    ours = np.array(ema(close.tolist(), 10))
    theirs = close.ewm(span=10, adjust=False).mean().to_numpy()
    assert np.isnan(ours[:9]).all()
    np.testing.assert_allclose(ours[9:], theirs[9:], rtol=1e-12, atol=0)


def test_the_odd_weeks_reach_each_rule(frames):
    df = frames["odd_weeks"]
    iso = df.index.isocalendar()
    sizes = df.groupby([iso["year"].to_numpy(), iso["week"].to_numpy()]).size()
    assert sizes.min() == 1 and (2020, 53) in sizes.index  # a lone bar; ISO week 53
    run = weekly_trend(df)
    assert len(run.fills) >= 6 and run.final_equity != 1_000_000.0


def _flowc_run(tmp_path: Path, frame: pd.DataFrame | None, engine: str) -> Path:
    data = None
    if frame is not None:
        data = {"SPX": unseen.to_csv(frame, tmp_path / "data.csv")}
    return run_flowc(EXAMPLE, tmp_path / f"out_{engine}", data, engine)


def _assert_same(out: Path, expected: WeeklyRun) -> None:
    fills = [(t, q, p, c) for t, _, q, p, c in read_csv_rows(out / "fills.csv", ("quantity", "price", "commission"))]
    assert text(fills) == text(expected.fills)
    equity = pd.read_csv(out / "equity.csv", index_col=0, dtype={"equity": str})
    assert list(equity["equity"]) == [repr(e) for e in expected.equity]


@pytest.mark.parametrize("engine", ["compiled", "reference"])
def test_weekly_trend_on_the_bundled_sample(tmp_path, frames, engine):
    expected = weekly_trend(frames["sp500"])
    assert expected.final_equity == 1091170.0101515134 and len(expected.fills) == 174
    _assert_same(_flowc_run(tmp_path, None, engine), expected)


@pytest.mark.parametrize("engine", ["compiled", "reference"])
@pytest.mark.parametrize("name", DATASETS[1:])
def test_weekly_trend_on_unseen_data(tmp_path, frames, name, engine):
    frame = frames[name]
    expected = weekly_trend(unseen.read(unseen.to_csv(frame, tmp_path / "read.csv")))  # the prices as written
    _assert_same(_flowc_run(tmp_path, frame, engine), expected)
