"""Binding: how names meet parameters, fields and components."""

from flowc.compiler.workflow import analyse
from flowc.dsl.loader import load_text

FLOW = """
param slow: int = 30
containers c { backtest: backtest {
    data: data { source = sample("sp500") }
    features: feature { m = sma(close, WINDOW) }
    strategy: strategy { signal = crossover(close, m) }
    risk: risk { size = fixed(1) }
    execution: execution {}
    portfolio: portfolio {}
} }
communication w {
    pipeline data -> features -> strategy -> risk -> execution -> portfolio
    broadcast data -> strategy, risk, execution, portfolio : BAR
}
workflow w { containers = c; communication = w }
"""


def _codes(window: str) -> list[tuple[str, str | None]]:
    analysis = analyse(load_text(FLOW.replace("WINDOW", window), "w.flow"))
    return [(d.code, d.hint) for d in analysis.diagnostics if d.is_error]


def test_a_misspelt_param_as_a_window_is_an_unknown_name():
    assert _codes("slower") == [("FL201", "did you mean `slow`?")]


def test_a_per_bar_value_as_a_window_is_a_type_error():
    assert [code for code, _ in _codes("close")] == ["FL501"]
    assert _codes("slow") == []
