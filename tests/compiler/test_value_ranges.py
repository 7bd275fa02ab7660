"""Values the run cannot hold are diagnostics (issue 19, item 19).

`cash = 1e309` linted clean and crashed writing manifest.json; cash <= 0, negative commissions,
slippage, `max_position` or `max_drawdown` were accepted. Now each is FL509 (literals in the
settings), FL501 (param defaults, sweep values) or FL511 (`--set`) where it is written.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowc.compiler.workflow import analyse
from flowc.dsl.loader import load_text
from tests.conftest import EXAMPLES

TEXT = (EXAMPLES / "simple_backtest.flow").read_text()


def codes(text: str, *overrides: str) -> list[str]:
    analysis = analyse(load_text(text, "v.flow"), None, overrides)
    return [d.code for d in analysis.diagnostics if d.severity.value == "error"]


@pytest.mark.parametrize("old, new", [
    ("cash = 1_000_000", "cash = 1e309"),
    ("cash = 1_000_000", "cash = 0"),
    ("cash = 1_000_000", "cash = -5"),
    ("cash = 1_000_000", "cash = " + "9" * 400),
    ("percent(0.1)", "percent(-0.1)"),
    ("max_position = 1000", "max_position = -1"),
    ("max_position = 1000", "max_position = 1e999"),
    ("fixed(100)", "fixed(1e309)"),
])
def test_out_of_range_settings_are_fl509(old, new):
    assert old in TEXT
    assert codes(TEXT.replace(old, new)) == ["FL509"]


@pytest.mark.parametrize("leverage", ["0", "-1", "1e309"])
def test_a_leverage_limit_must_be_above_zero(leverage):
    text = TEXT.replace("cash = 1_000_000", f"cash = 1_000_000\n            buying_power = cut\n"
                                            f"            max_leverage = {leverage}")
    assert codes(text) == ["FL509"]
    assert codes(text.replace(f"max_leverage = {leverage}", "max_leverage = 1.5")) == []


def test_a_leverage_limit_needs_buying_power_to_say_what_a_limited_order_becomes():
    analysis = analyse(load_text(TEXT.replace("cash = 1_000_000", "cash = 1_000_000\n            max_leverage = 2"),
                                 "v.flow"), None, ())
    [problem] = [d for d in analysis.diagnostics if d.severity.value == "error"]
    assert problem.code == "FL508" and problem.span is not None and "buying_power = cut" in (problem.hint or "")


@pytest.mark.parametrize("setting", ["interest_per_bar", "borrow_fee_per_bar", "interest_per_year",
                                     "borrow_fee_per_year"])
def test_carry_rates_must_be_at_least_zero(setting):
    text = TEXT.replace("cash = 1_000_000", f"cash = 1_000_000\n            {setting} = -0.01")
    assert codes(text) == ["FL509"]
    assert codes(text.replace("-0.01", "0.01")) == []


def test_max_drawdown_and_slippage_below_zero():
    text = TEXT.replace("max_position = 1000", "max_position = 1000\n            max_drawdown = -3")
    assert codes(text) == ["FL509"]
    text = TEXT.replace("commission = percent(0.1)", "commission = percent(0.1)\n            slippage = bps(-2)")
    assert codes(text) == ["FL509"]


@pytest.mark.parametrize("default", ["1e309", "-1e309"])
def test_a_non_finite_param_default_is_fl501(default):
    assert codes(TEXT.replace("param slow: int = 30", f"param slow: int = 30\nparam big: float = {default}")) \
        == ["FL501"]


@pytest.mark.parametrize("value", ["inf", "nan", "1e309", "-inf"])
def test_a_non_finite_override_is_fl511(value):
    text = TEXT.replace("param slow: int = 30", "param slow: int = 30\nparam big: float = 1.0")
    assert codes(text, f"big={value}") == ["FL511"]


def test_a_huge_int_sweep_or_override_is_refused(tmp_path):
    from tests.sweep.flows import flow_file

    text = flow_file(tmp_path, f"sweep fast in [5, {10**30}]").read_text()
    assert codes(text) == ["FL501"]
    assert codes(TEXT, f"fast={10**30}") == ["FL511"]


@settings(max_examples=12, deadline=None)
@given(cash=st.floats(allow_nan=False) | st.integers(-10**6, 10**400))
def test_cash_is_accepted_exactly_when_the_run_can_hold_it(cash):
    text = TEXT.replace("cash = 1_000_000", f"cash = {cash!r}".replace("inf", "1e999"))
    ok = cash > 0 and abs(cash) <= 2**53 if isinstance(cash, int) else 0 < cash < float("inf")
    assert codes(text) == ([] if ok else ["FL509"])


# ---- the same limits on a param's value, known only at run time --------------------------------


def _param_flow(tmp_path, setting_old, setting_new, decl):
    path = tmp_path / "p.flow"
    path.write_text(TEXT.replace("param slow: int = 30", f"param slow: int = 30\n{decl}")
                    .replace(setting_old, setting_new))
    return path


@pytest.mark.parametrize("old, new, decl, bad", [
    ("cash = 1_000_000", "cash = c", "param c: float = 1e6", "c=-5"),
    ("cash = 1_000_000", "cash = c", "param c: float = 1e6", "c=0"),
    ("percent(0.1)", "percent(fee)", "param fee: float = 0.1", "fee=-0.1"),
    ("max_position = 1000", "max_position = m", "param m: float = 1000", "m=-1"),
    ("cash = 1_000_000", "cash = 1_000_000\n            buying_power = cut\n            max_leverage = lev",
     "param lev: float = 2", "lev=0"),
])
def test_a_param_out_of_range_is_fl509_when_the_run_starts(tmp_path, capsys, old, new, decl, bad):
    from flowc.tools.cli import main

    flow = _param_flow(tmp_path, old, new, decl)
    assert main(["run", str(flow), "--quiet", "--engine", "reference", "--set", bad]) == 1
    err = capsys.readouterr().err
    assert "FL509" in err and "it must be" in err and "Traceback" not in err
