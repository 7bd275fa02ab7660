"""`flowc report DIR` of a run made with a plugin: the plugin comes from --plugin, checked against the manifest."""

from __future__ import annotations

import shutil
import sys

import pytest

from flowc.tools.cli import main
from tests.conftest import ROOT

FLOW = """\
import "std/simple_backtest.flow"

containers mine {
    backtest: backtest {
        data: data { source = sample("sp500", symbol = "SPX") }
        features: feature {
            gap = spread(high, low, 10)
            fast_ma = sma(close, 10)
            slow_ma = sma(close, 30)
        }
        strategy: strategy { signal = crossover(fast_ma, slow_ma); active = gap > 0 }
        risk: risk { size = fixed(100) }
        execution: execution { fill = next_open() }
        portfolio: portfolio { cash = 1_000_000 }
    }
}

workflow mine {
    containers    = mine
    communication = pipeline
}
"""


@pytest.fixture
def made(tmp_path, capsys, monkeypatch):
    pytest.importorskip("plotly")
    from flowc.compiler import components

    monkeypatch.setattr(components, "_registry", dict(components._registry))  # the copy registers its components
    sys.modules.pop("my_spread", None)  # each test imports its own copy
    plugin = tmp_path / "my_spread.py"
    shutil.copy(ROOT / "tests" / "runtime" / "plugin_components.py", plugin)
    flow = tmp_path / "p.flow"
    flow.write_text(FLOW)
    out = tmp_path / "r"
    assert main(["--plugin", str(plugin), "run", str(flow), "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield plugin, out
    sys.modules.pop("my_spread", None)


def test_report_without_the_recorded_plugin_names_it(made, capsys):
    plugin, out = made
    assert main(["report", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"used the plugin `{plugin}`" in err and f"--plugin {plugin}" in err and "FL503" not in err
    assert not (out / "report.html").exists()


def test_report_with_the_recorded_plugin_works(made, capsys):
    plugin, out = made
    assert main(["report", str(out), "--plugin", str(plugin)]) == 0
    assert (out / "report.html").is_file()


def test_report_with_another_file_of_that_name_is_refused(made, capsys):
    plugin, out = made
    plugin.write_text(plugin.read_text() + "\n# changed\n")
    assert main(["report", str(out), "--plugin", str(plugin)]) == 2
    assert "is another file" in capsys.readouterr().err
