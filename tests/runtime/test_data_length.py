"""Windows and walk-forwards longer than the data are said with the numbers, and cost no memory for it."""

import numpy as np
import pytest

from flowc.dsl.diagnostics import FlowError
from flowc.runtime.executor import buffer_dims, buffer_shape, compile_plan
from flowc.runtime.manager import prepare, run_prepared
from flowc.tools.cli import main
from tests.conftest import EXAMPLES

SIMPLE = str(EXAMPLES / "simple_backtest.flow")


@pytest.fixture(scope="module")
def prepared():
    return prepare(SIMPLE)


def test_a_window_longer_than_the_data_that_leaves_no_signal_is_an_error(capsys):
    assert main(["run", SIMPLE, "--set", "slow=100000"]) == 1
    err = capsys.readouterr().err
    assert "FL613" in err and "99,999 bars" in err and "the data has 5,031 bars" in err and "`slow`" in err


def test_the_error_names_the_selected_data():
    with pytest.raises(FlowError) as caught:
        prepare(SIMPLE, overrides=["slow=600"], end="2000-12-31")
    [d] = caught.value.diagnostics
    assert d.code == "FL613" and "the data has 504 bars" in d.message and "slow_ma" in d.message
    prepare(SIMPLE, overrides=["slow=600"], start="2005-01-03", end="2006-12-31")  # its warm-up bars come before


def test_a_window_that_never_fills_but_leaves_signals_is_a_warning(tmp_path, capsys):
    text = (EXAMPLES / "simple_backtest.flow").read_text().replace(
        "slow_ma = sma(close, slow)", "slow_ma = sma(close, slow)\n            big = sma(close, 7000)").replace(
        "signal = crossover(fast_ma, slow_ma)", "signal = crossover(fast_ma, slow_ma)\n            active = big > 0")
    path = tmp_path / "big.flow"
    path.write_text(text)
    assert main(["run", str(path), "--json"]) == 0
    err = capsys.readouterr().err
    assert "FL612 warning: `features.big` is undefined for its first 6,999 bars (sma over 7,000 bars)" in err
    assert "the data has 5,031 bars: it is never defined" in err


def test_a_ring_holds_no_more_slots_than_there_are_steps(prepared):
    program = compile_plan(prepared.plan)
    rings = [b for b in program.generated.buffers if any(getattr(d, "ring", False) for d in b.shape)]
    assert rings
    params = prepared.params({"slow": 1_000_000_000})
    sizes = buffer_dims(program.generated, prepared.market)
    for b in rings:
        shape = buffer_shape(b, sizes, params)
        assert shape[1] <= prepared.market.n_steps + 3, (b.name, shape)


def test_a_window_longer_than_the_data_runs_like_the_reference(prepared):
    compiled = run_prepared(prepared, {"slow": 6000})
    reference = run_prepared(prepared, {"slow": 6000}, engine="reference")
    assert len(compiled.fills) == len(reference.fills) == 0
    assert np.array_equal(compiled.equity, reference.equity)


def test_a_walk_forward_with_no_possible_window_is_an_error(tmp_path, capsys):
    from tests.sweep.flows import flow_file

    path = flow_file(tmp_path, "sweep fast in [5, 10]\nwalk_forward train = 10000, test = 250")
    assert main(["run", str(path), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "FL614" in err and "needs more than 10,000 bars" in err and "the data has 5,031 bars" in err
    assert main(["run", str(path), "--quiet", "--start", "2015-01-02"]) == 1
    assert "the selected data has 1,006 bars" in capsys.readouterr().err
