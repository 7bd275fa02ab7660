"""Damaged capture folders are FL601, and a replayed NaN direction is flat (issue 19, item 22)."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from flowc.dsl.diagnostics import FlowError
from flowc.runtime.manager import prepare, run_prepared
from flowc.tools.cli import main
from tests.runtime.test_replay import REPLAYED, captured  # noqa: F401  (the module's capture fixture)

TREND = "classifier.trend.parquet"


@pytest.fixture
def copy(tmp_path, captured):  # noqa: F811
    path, _ = captured
    shutil.copytree(path.parent / "signals", tmp_path / "signals")
    flow = tmp_path / "replayed.flow"
    flow.write_text(REPLAYED)
    return flow, tmp_path / "signals"


def _index(folder, value):
    (folder / "signals.json").write_text(json.dumps(value))


@pytest.mark.parametrize("damage", ["index_list", "index_strategies_list", "escaping_name", "truncated_parquet",
                                    "garbage_parquet", "missing_column", "wrong_type", "folder_as_table"])
def test_a_damaged_capture_is_fl601(copy, capsys, damage):
    flow, folder = copy
    table = folder / TREND
    if damage == "index_list":
        _index(folder, [1, 2])
    elif damage == "index_strategies_list":
        _index(folder, {"strategies": ["classifier.trend"]})
    elif damage == "escaping_name":
        index = json.loads((folder / "signals.json").read_text())
        index["strategies"]["classifier.trend"] = "../../etc/passwd"
        _index(folder, index)
    elif damage == "truncated_parquet":
        table.write_bytes(table.read_bytes()[:100])
    elif damage == "garbage_parquet":
        table.write_bytes(b"PAR1 not really")
    elif damage == "missing_column":
        pd.read_parquet(table).drop(columns=["direction"]).to_parquet(table)
    elif damage == "wrong_type":
        frame = pd.read_parquet(table)
        frame["timestamp"] = "yesterday"
        frame.to_parquet(table)
    else:
        table.unlink()
        table.mkdir()
    with pytest.raises(FlowError) as caught:
        prepare(flow)
    assert [d.code for d in caught.value.diagnostics] == ["FL601"]
    assert main(["run", str(flow), "--quiet"]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_a_replayed_nan_direction_is_flat(copy):
    flow, folder = copy
    for name in (TREND, "classifier.revert.parquet"):
        frame = pd.read_parquet(folder / name)
        frame["direction"] = frame["direction"].astype("float64")
        frame.loc[frame.index[len(frame) // 2:], "direction"] = np.nan
        frame.to_parquet(folder / name)
    ledger = run_prepared(prepare(flow))
    assert np.isfinite(ledger.equity).all()
    assert (ledger.positions == 0).all()  # every signal of the second half is NaN: the run ends flat
