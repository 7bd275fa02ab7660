"""A size that overflows is FL611 at the step it happens, the same in both engines (issue 19, item 19).

Once a fill's quantity, notional or commission is beyond a float, cash and equity turn infinite or
NaN and the engines used to part ways (the compiled one recorded NaN-quantity fills the reference
skipped: 4,991 against 3,070 fills). Now both stop trusting the run at that fill and say where.
"""

import pytest

from flowc.dsl.diagnostics import FlowError
from flowc.runtime.manager import prepare, run_prepared
from flowc.tools.cli import main
from tests.conftest import EXAMPLES
from tests.sweep.flows import flow_file

TEXT = (EXAMPLES / "simple_backtest.flow").read_text()


def _flow(tmp_path, size: str, max_position: str = "1000"):
    path = tmp_path / "overflow.flow"
    path.write_text(TEXT.replace("fixed(100)", size).replace("max_position = 1000", f"max_position = {max_position}"))
    return path


@pytest.mark.parametrize("engine", ["compiled", "reference"])
def test_an_overflowing_fill_is_fl611_at_its_step(tmp_path, engine):
    prepared = prepare(_flow(tmp_path, "fixed(1e306)", "1e307"))
    with pytest.raises(FlowError) as caught:
        run_prepared(prepared, engine=engine)
    [d] = caught.value.diagnostics
    assert d.code == "FL611"
    assert d.message.startswith("the run overflowed at step 37 (1999-02-26T00:00:00), SPX: a fill of 1e+306")


def test_both_engines_report_the_same(tmp_path, capsys):
    flow = _flow(tmp_path, "fixed(1e306)", "1e307")
    shown = []
    for engine in ("compiled", "reference"):
        assert main(["run", str(flow), "--quiet", "--engine", engine]) == 1
        err = capsys.readouterr().err
        assert "Traceback" not in err and "RuntimeWarning" not in err
        shown.append(err)
    assert shown[0] == shown[1]


def test_a_finite_run_is_untouched(tmp_path):
    prepared = prepare(_flow(tmp_path, "fixed(1e200)", "1e300"))
    compiled = run_prepared(prepared)
    reference = run_prepared(prepared, engine="reference")
    assert len(compiled.fills) == len(reference.fills) > 0


@pytest.mark.parametrize("executor", ["inline", "process"])
def test_a_sweep_point_that_overflows_fails_alone(tmp_path, capsys, executor):
    text = flow_file(tmp_path, "sweep fast in [5, 10]").read_text()
    path = tmp_path / "sweep.flow"
    path.write_text(text.replace("fixed(100)", "fixed(1e306)").replace("max_position = 1000", "max_position = 1e307"))
    out = tmp_path / "out"
    assert main(["run", str(path), "--quiet", "--executor", executor, "--workers", "1", "--out", str(out)]) == 1
    table = (out / "sweep.csv").read_text()
    assert table.count("FL611 the run overflowed") == 2 and "Traceback" not in capsys.readouterr().err
