"""Signal capture and replay: replaying a run's signals through the same risk, execution and portfolio
settings gives exactly the original run; other settings can then be swept without the features."""

import pytest

from flowc.dsl.diagnostics import FlowError
from flowc.runtime.manager import prepare, run_prepared
from flowc.runtime.reference import run_reference
from flowc.tools.cli import main
from tests.conftest import EXAMPLES

REPLAYED = """
param dd: float = 25
containers replayed { backtest: backtest {
    data: data { source = sample("sp500", symbol = "SPX") }
    classifier: classifier {
        regime = threshold_regime(close, 0)
        trend: strategy { signal = replay("signals", strategy = "classifier.trend") }
        revert: strategy { signal = replay("signals", strategy = "classifier.revert") }
    }
    risk: risk { size = percent_equity(10); max_drawdown = dd }
    execution: execution { fill = next_open(); commission = percent(0.05); slippage = bps(2) }
    portfolio: portfolio { cash = 1_000_000 }
} }
communication replay {
    pipeline data -> classifier
    hierarchical classifier : BAR
    route classifier -> risk : SIGNAL
    pipeline risk -> execution -> portfolio
    broadcast data -> risk, execution, portfolio : BAR
    feedback portfolio -> risk : PORTFOLIO
}
workflow replayed { containers = replayed; communication = replay }
"""


@pytest.fixture(scope="module")
def captured(tmp_path_factory):
    folder = tmp_path_factory.mktemp("capture")
    assert main(["run", str(EXAMPLES / "full_backtest.flow"), "--capture-signals", str(folder / "signals"),
                 "--quiet"]) == 0
    original = run_prepared(prepare(EXAMPLES / "full_backtest.flow"))
    path = folder / "replayed.flow"
    path.write_text(REPLAYED)
    return path, original


def test_replay_equals_the_original_run(captured):
    path, original = captured
    prepared = prepare(path)
    replayed = run_prepared(prepared)
    assert replayed.same_as(original)
    reference = run_reference(prepared.analysis, prepared.market, list(prepared.params()),
                              replays=prepared.replays)
    assert replayed.same_as(reference)


def test_risk_settings_can_be_swept_over_replayed_signals(captured):
    path, original = captured
    prepared = prepare(path)
    tighter = run_prepared(prepared, {"dd": 2.0})
    assert not (tighter.equity == original.equity).all()


def test_a_missing_capture_or_strategy_is_a_diagnostic(tmp_path, captured):
    path, _ = captured
    wrong = tmp_path / "wrong.flow"
    wrong.write_text(REPLAYED.replace('strategy = "classifier.trend"', 'strategy = "classifier.trnd"'))
    (tmp_path / "signals").symlink_to(path.parent / "signals")
    with pytest.raises(FlowError, match="FL509") as caught:
        prepare(wrong)
    assert "classifier.trend" in caught.value.diagnostics[0].hint
    (tmp_path / "signals").unlink()
    with pytest.raises(FlowError, match="FL601"):
        prepare(wrong)
