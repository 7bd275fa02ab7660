"""`flowc.tools.api.walk_forward` returns what `flowc run` computes for a walk-forward, as DataFrames."""

import json

import pandas as pd
import pytest

from flowc.tools.api import walk_forward
from flowc.tools.cli import main
from tests.conftest import EXAMPLES

FLOW = '''import "std/simple_backtest.flow"

workflow walk "Re-chosen windows" {
    containers    = simple_backtest
    communication = pipeline
    sweep fast in [5, 10]
    sweep slow in [30, 50]
    walk_forward train = 1000, test = 500
    objective = sharpe
}
'''


def same(mine: float, theirs: float | None) -> bool:
    """Equal, where the API's NaN stands for the JSON's null (an undefined metric)."""
    return pd.isna(mine) if theirs is None else mine == theirs


def test_the_api_equals_flowc_run(tmp_path, capsys):
    path = tmp_path / "walk.flow"
    path.write_text(FLOW)
    capsys.readouterr()
    assert main(["run", str(path), "--json", "--executor", "inline", "--quiet"]) == 0
    cli = json.loads(capsys.readouterr().out)
    result = walk_forward(FLOW)  # from text: the same workflow
    assert result.workflow == "walk" and result.objective == "sharpe"
    assert list(result.out_of_sample.index) == list(cli["out_of_sample"])
    assert all(same(result.out_of_sample[k], v) for k, v in cli["out_of_sample"].items())
    assert len(result.windows) == len(cli["windows"])
    for row, window in zip(result.windows.itertuples(), cli["windows"], strict=True):
        assert (row.fast, row.slow) == (window["chosen"]["fast"], window["chosen"]["slow"])
        assert same(row.oos_sharpe, window["out_of_sample"]["sharpe"])
        assert row.test_start == pd.Timestamp(window["test_start"])
    assert result.in_sample_params == cli["in_sample"]["params"]
    assert result.equity.iloc[-1] == result.out_of_sample["final_equity"]
    assert isinstance(result.equity.index, pd.DatetimeIndex) and len(result.points) == 4 * (len(result.windows) + 1)


def test_a_workflow_without_walk_forward_is_refused():
    with pytest.raises(ValueError, match="declares no `walk_forward`"):
        walk_forward(EXAMPLES / "sma_grid.flow")
