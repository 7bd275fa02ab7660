"""Reads at another symbol, `name@SYMBOL` (issue 15, item 1): syntax, binding, FL513, FL616, scheduling.

The values themselves are held against the reference engine in `tests/test_differential.py`
(the `cross` shape) and against plain Python here.
"""

import numpy as np
import pytest

from flowc.compiler.workflow import analyse
from flowc.dsl.diagnostics import FlowError
from flowc.dsl.formatter import format_source
from flowc.dsl.loader import load_text
from flowc.runtime.manager import prepare, run_prepared
from flowc.runtime.reference import run_reference
from tests.conftest import EXAMPLES

TEXT = (EXAMPLES / "two_indices.flow").read_text()
FEATURES = "            slow_ma = ema(close, 100)\n"
SIGNAL = "            signal = crossover(fast_ma, slow_ma)\n"


def diagnostics(text: str):
    analysis = analyse(load_text(text, "x.flow"), None, ())
    return [d for d in analysis.diagnostics if d.severity.value == "error"]


def test_the_syntax_formats_back_as_written():
    text = 'containers c {\n    f: feature {\n        x = close@NDX - open@"BRK-B" * 2\n    }\n}\n'
    assert format_source(text) == text
    assert format_source(text.replace("close@NDX", "close @ NDX")) == text


@pytest.mark.parametrize("old, new, needle", [
    (SIGNAL, "            signal = crossover(fast_ma, slow_ma@SPX)\n", None),
    (FEATURES, FEATURES + "            rel = close / close@NDX\n", None),
    (FEATURES, FEATURES + "            x = fast_ma@NDX\n", "is a setting of this container"),
    (FEATURES, FEATURES + "            x = close / fast_ma@NDX\n", "is a setting of this container"),
    ('symbol == "SPX" =>', 'fast_ma@NDX > 0 =>', "route predicate"),
])
def test_what_may_be_read_at_another_symbol(old, new, needle):
    assert old in TEXT
    text = TEXT.replace(old, new)
    found = diagnostics(text)
    if needle is None:
        assert found == []
    else:
        assert [d.code for d in found] == ["FL513"] and needle in found[0].message
        assert text[found[0].span.start:found[0].span.end] == "fast_ma@NDX"


def test_a_param_read_at_another_symbol_is_fl513():
    text = "param k: float = 2\n" + TEXT.replace(SIGNAL, "            signal = crossover(fast_ma, k@NDX)\n")
    assert [d.code for d in diagnostics(text)] == ["FL513"]


def test_an_unknown_name_read_at_another_symbol_is_fl201():
    text = TEXT.replace(SIGNAL, "            signal = crossover(fast_ma, fats_ma@NDX)\n")
    found = diagnostics(text)
    assert [d.code for d in found] == ["FL201"] and "fast_ma" in (found[0].hint or "")


def test_a_symbol_no_source_names_is_fl616_on_the_text():
    from flowc.compiler.lint import lint

    text = TEXT.replace(SIGNAL, "            signal = crossover(fast_ma, slow_ma@NDQ)\n")
    analysis = analyse(load_text(text, "x.flow"), None, ())
    (problem,) = [d for d in lint(analysis) if d.code == "FL616"]
    assert problem.hint == "did you mean `NDX`?" and text[problem.span.start:problem.span.end] == "slow_ma@NDQ"
    unknown = text.replace('sample("nasdaq", symbol = "NDX")', 'parquet("prices.parquet")')
    assert not [d for d in lint(analyse(load_text(unknown, "x.flow"), None, ())) if d.code == "FL616"]


def test_the_loaded_symbols_are_checked_before_the_run():
    from flowc.compiler.bind.state import Binding
    from flowc.dsl.source import Span
    from flowc.runtime.cross_symbols import unknown_symbols

    binding = Binding(cross_reads=[("close", "AAPL", Span("x.flow", 1, 1, 1, 2))])
    assert unknown_symbols(binding, ["AAPL", "MSFT"]) == []
    (problem,) = unknown_symbols(binding, ["AAPl", "MSFT"])
    assert problem.code == "FL616" and problem.hint == "did you mean `AAPl`?"


def test_a_symbol_the_data_lacks_is_fl616_before_the_run(tmp_path):
    path = tmp_path / "x.flow"
    path.write_text(TEXT.replace(SIGNAL, "            signal = crossover(fast_ma, slow_ma@NDQ)\n"))
    with pytest.raises(FlowError) as failure:
        prepare(path)
    (problem,) = failure.value.diagnostics
    assert problem.code == "FL616" and "NDQ" in problem.message and "NDX" in (problem.hint or "")
    assert path.read_text()[problem.span.start:problem.span.end] == "slow_ma@NDQ"


def test_values_against_plain_python(tmp_path):
    """`close / close@NDX` (BAR) and `c - c@SPX` (FEATURE) per (t, s), NaN where the other symbol has no bar."""
    text = TEXT.replace(FEATURES, FEATURES + "            rel = close / close@NDX\n            c = close\n").replace(
        SIGNAL, "            signal = rel - 1 + 0 * (c - c@SPX)\n")
    path = tmp_path / "x.flow"
    path.write_text(text)
    prepared = prepare(path)
    market = prepared.market
    T, S = market.close.shape
    holes = np.random.default_rng(5).uniform(size=(T, S)) < 0.2
    holes[0] = False
    present = market.present & ~holes
    arrays = [np.where(present, getattr(market, f), np.nan) for f in ("open", "high", "low", "close", "volume")]
    prepared.market = type(market)(market.symbols, market.timestamps, *arrays, present)
    compiled = run_prepared(prepared, signals=True)
    reference = run_reference(prepared.analysis, prepared.market, list(prepared.params()))
    assert compiled.same_as(reference)
    ndx, spx = list(market.symbols).index("NDX"), list(market.symbols).index("SPX")
    close = arrays[3]
    rel = close / close[:, [ndx]] - 1 + 0 * (close - close[:, [spx]])  # NaN where NDX or SPX has no bar
    emitted, direction, _ = compiled.signals["strategy"]
    assert (emitted == present).all()  # the strategy runs on the symbol's own bars
    assert (direction[emitted] == np.sign(np.nan_to_num(rel))[emitted]).all()


@pytest.mark.parametrize("setting, code", [
    ("x = cs_rank(fast_ma)", None),
    ("x = top(fast_ma, 1) + bottom(slow_ma, 1) + cs_zscore(close) + demean(close) + cs_weight(close)", None),
    ("x = cs_rank(cs_zscore(close))", "FL514"),
    ("x = cs_rank(close + demean(close))", "FL514"),
    ("x = top(close)", "FL502"),
    ("x = cs_rank(close, 2)", "FL502"),
    ("x = top(close, n = 2)", "FL510"),
    ("x = top(close, 0)", "FL509"),
    ("x = top(close, 1.5)", "FL501"),
])
def test_cross_sectional_calls(setting, code):
    found = diagnostics(TEXT.replace(FEATURES, FEATURES + f"            {setting}\n"))
    assert [d.code for d in found] == ([code] if code else [])


def test_a_cross_sectional_operator_in_a_route_predicate_is_fl514():
    found = diagnostics(TEXT.replace('symbol == "SPX" =>', 'cs_rank(direction) > 0.5 =>'))
    assert [d.code for d in found] == ["FL514"]


def test_containers_across_symbols_run_in_the_step_loop(tmp_path):
    text = TEXT.replace(FEATURES, FEATURES + "            r = cs_rank(fast_ma)\n")
    path = tmp_path / "x.flow"
    path.write_text(text)
    hoisted = {n.path: n.hoisted for n in prepare(path).plan.nodes}
    assert hoisted == {"data": True, "features": False, "strategy": False, "risk_spx": False,
                       "risk_ndx": False, "execution": False, "portfolio": False}
