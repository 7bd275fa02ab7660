"""A sweep honours `--start`, `--end` and `--data` as a single run does, on every executor.

The job carries the three options, so a worker that prepares the job itself loads the same
bars (`--data` paths made absolute, since a worker's working directory may differ); every
point trades from `--start` only, with the earlier bars as warm-up, and equals the single
run with the same options. The Dask executor's case is in test_dask.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from flowc.runtime.data import sample_path
from flowc.runtime.manager import prepare
from flowc.runtime.metrics import METRIC_KEYS
from flowc.runtime.sweep.job import load, make_job
from flowc.tools.cli import main
from flowc.tools.commands.run import run_once
from tests.sweep.flows import flow_file

GRID = "sweep fast in [5, 10]\nsweep slow in [30, 50]"
RANGE = ["--start", "2004-03-01", "--end", "2011-06-30"]


def scaled_prices(folder: Path) -> Path:
    """The S&P 500 sample with every price doubled: results differ from the bundled data's."""
    frame = pd.read_csv(sample_path("sp500"))
    for column in ("open", "high", "low", "close"):
        frame[column] *= 2.0
    path = folder / "spx.csv"
    frame.to_csv(path, index=False)
    return path


def expected_rows(path: Path, data: dict[str, str]) -> dict[tuple[int, int], dict]:
    """Each point run alone (run_once) with the same range and data."""
    prepared = prepare(path, data=data, start=RANGE[1], end=RANGE[3])
    return {(f, s): run_once(prepared, {"fast": f, "slow": s}).metrics for f in (5, 10) for s in (30, 50)}


def check(rows: list[dict], expected: dict[tuple[int, int], dict]) -> None:
    assert len(rows) == 4
    for r in rows:
        assert r["status"] == "ok", r["error"]
        assert {k: r[k] for k in METRIC_KEYS} == expected[(r["fast"], r["slow"])]


@pytest.mark.parametrize("executor", ["inline", "process"])
def test_a_sweep_honours_start_end_and_data(tmp_path, capsys, monkeypatch, executor):
    path = flow_file(tmp_path, GRID)
    scaled_prices(tmp_path)
    monkeypatch.chdir(tmp_path)  # --data relative to the working directory
    expected = expected_rows(path, {"SPX": "spx.csv"})
    assert main(["run", str(path), *RANGE, "--data", "SPX=spx.csv", "--executor", executor, "--workers", "2",
                 "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    check(rows, expected)
    first = pd.Timestamp("2004-03-01")
    stamps = pd.read_csv("spx.csv", parse_dates=["timestamp"])["timestamp"]
    assert rows[0]["steps"] == int(((stamps >= first) & (stamps <= pd.Timestamp("2011-06-30"))).sum())


def test_the_job_carries_the_options_and_a_worker_prepares_the_same_bars(tmp_path, monkeypatch):
    path = flow_file(tmp_path, GRID)
    scaled_prices(tmp_path)
    monkeypatch.chdir(tmp_path)
    prepared = prepare(path, data={"SPX": "spx.csv"}, start=RANGE[1], end=RANGE[3])
    job = make_job(prepared, path, None, (), data={"SPX": "spx.csv"}, start=RANGE[1], end=RANGE[3])
    assert job.data == (("SPX", str(tmp_path / "spx.csv")),) and (job.start, job.end) == (RANGE[1], RANGE[3])
    from flowc.runtime.sweep import job as job_module

    job_module._CACHE.clear()  # as in a fresh worker: prepared again from the job alone, elsewhere
    monkeypatch.chdir(Path(__file__).parent)
    again = load(job).prepared
    assert again is not prepared and again.trade_from == prepared.trade_from > 0
    assert (again.market.close == prepared.market.close).all()
    other = make_job(prepare(path, start="2004-03-08", end=RANGE[3]), path, None, (), start="2004-03-08",
                     end=RANGE[3])
    assert other.fingerprint != make_job(prepare(path, start=RANGE[1], end=RANGE[3]), path, None, (),
                                         start=RANGE[1], end=RANGE[3]).fingerprint


def test_a_walk_forward_runs_its_windows_within_the_range(tmp_path, capsys):
    path = flow_file(tmp_path, GRID + "\nwalk_forward train = 500, test = 250, step = 250\nobjective = sharpe")
    assert main(["run", str(path), *RANGE, "--executor", "inline", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["windows"][0]["train_start"][:10] == "2004-03-01"  # the first bar traded; earlier ones warm up
    assert data["windows"][-1]["test_end"][:10] <= "2011-06-30"
    best = data["in_sample"]
    expected = expected_rows(path, {})
    assert best["metrics"] == expected[(best["params"]["fast"], best["params"]["slow"])]


def test_a_sweep_infers_periods_per_year_from_the_steps_it_trades(tmp_path, capsys, monkeypatch):
    """Intraday bars a minute apart up to `--start` and five minutes apart after it: the loaded
    bars' median gap is a minute, the traded ones' five; every row annualises as its single run does."""
    frame = pd.read_csv(sample_path("sp500")).head(90)
    start = pd.Timestamp("2020-01-06 09:30")
    gaps = [pd.Timedelta(minutes=1)] * 49 + [pd.Timedelta(minutes=5)] * 41
    frame["timestamp"] = [str(start - 49 * gaps[0] + sum(gaps[:k], pd.Timedelta(0))) for k in range(90)]
    frame.to_csv(tmp_path / "spx.csv", index=False)
    path = flow_file(tmp_path, GRID)
    monkeypatch.chdir(tmp_path)
    first = str(start + pd.Timedelta(minutes=5))
    prepared = prepare(path, data={"SPX": "spx.csv"}, start=first)
    assert prepared.trade_from == 49  # sma(close, 50): the warm-up is every bar before the start
    expected = {(f, s): run_once(prepared, {"fast": f, "slow": s}).metrics for f in (5, 10) for s in (30, 50)}
    assert main(["run", str(path), "--start", first, "--data", "SPX=spx.csv", "--executor", "inline", "--json"]) == 0
    check(json.loads(capsys.readouterr().out), expected)
