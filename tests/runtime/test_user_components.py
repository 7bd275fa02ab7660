"""User components registered from Python run in both engines, and bad registrations are refused."""

import pytest
from numba import njit

from flowc.compiler.components import series_component
from flowc.runtime.components import register_component
from flowc.runtime.manager import prepare, run_prepared
from flowc.runtime.reference import run_reference
from flowc.tools.cli import main
from tests.runtime import plugin_components  # noqa: F401  (registers spread and above)

FLOW = """
containers c { backtest: backtest {
    data: data { source = sample("sp500") }
    features: feature { gap = spread(high, low, 10); trend = ema(close, 20) }
    strategy: strategy { signal = above(close - trend, gap) }
    risk: risk { size = fixed(10); long_only = false }
    execution: execution { commission = percent(0.1) }
    portfolio: portfolio { cash = 100_000 }
} }
communication w {
    pipeline data -> features -> strategy -> risk -> execution -> portfolio
    broadcast data -> strategy, risk, execution, portfolio : BAR
}
workflow w { containers = c; communication = w }
"""


def test_registered_components_run_in_both_engines(tmp_path):
    path = tmp_path / "user.flow"
    path.write_text(FLOW)
    prepared = prepare(path)
    compiled = run_prepared(prepared)
    assert len(compiled.fills) > 10
    assert compiled.same_as(run_reference(prepared.analysis, prepared.market, list(prepared.params())))
    assert "from tests.runtime.plugin_components import above_nb, spread_nb" in prepared.program.generated.source


def test_the_contract_is_what_was_registered():
    contract = series_component("spread")
    assert contract.kernel == "tests.runtime.plugin_components:spread_nb"
    assert contract.signature == "spread(x, y, n)"
    assert (contract.state.arg, contract.state.extra) == ("n", 3)


def test_plugins_load_from_the_command_line(tmp_path, capsys):
    path = tmp_path / "user.flow"
    path.write_text(FLOW)
    assert main(["--plugin", "tests.runtime.plugin_components", "lint", str(path)]) == 0


def test_bad_registrations_are_refused():
    with pytest.raises(TypeError, match="numba"):
        register_component(lambda state, x: x)

    @njit
    def local_nb(state, x):
        return x

    with pytest.raises(ValueError, match="top-level"):
        register_component(local_nb)
