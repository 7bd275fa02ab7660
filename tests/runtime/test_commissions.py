"""Commissions that combine: terms summed, a minimum and a maximum per fill (docs/semantics.md, section 7).

Hand cases in the reference engine on bars written here; one compiled run of every form against it.
"""

from __future__ import annotations

import pytest

from flowc.dsl.diagnostics import FlowError
from flowc.runtime.manager import prepare, run_prepared
from flowc.runtime.reference import run_reference

from .test_exits import bars, errors, reference

TEMPLATE = """
containers t {{ backtest: backtest {{
    data: data {{ source = sample("sp500", symbol = "A") }}
    strategy: strategy {{ signal = volume }}
    risk: risk {{ size = units(close / 10 * 0 + {units}); long_only = false }}
    execution: execution {{ fill = close(); {costs} }}
    portfolio: portfolio {{ cash = 100_000 }}
}} }}
communication w {{
    pipeline data -> strategy -> risk -> execution -> portfolio
    broadcast data -> risk, execution, portfolio : BAR
}}
workflow w {{ containers = t; communication = w }}
"""
MARKET = bars((50, 50, 50, 50, 1), (60, 60, 60, 60, -1))  # buy at 50, then sell twice the units at 60


def fees(costs: str, units: float = 100) -> list[float]:
    ledger = reference(TEMPLATE.format(costs=costs, units=units), MARKET)
    return [float(f["commission"]) for f in ledger.fills]


def test_terms_are_summed_left_to_right():
    assert fees("commission = fixed(1) + percent(0.1)") == [1 + 0.1 / 100.0 * 100 * 50, 1 + 0.1 / 100.0 * 200 * 60]
    assert fees("commission = per_share(0.01) + fixed(2)") == [0.01 * 100 + 2, 0.01 * 200 + 2]
    assert fees("commission = percent(0.1)") == [0.1 / 100.0 * 100 * 50, 0.1 / 100.0 * 200 * 60]


def test_a_minimum_and_a_maximum_per_fill():
    assert fees("commission = per_share(0.005); min_commission = 1", units=10) == [1, 1]  # 0.05 and 0.10
    assert fees("commission = per_share(0.005); max_commission = 0.7") == [0.5, 0.7]  # 0.5, and 1.0 capped
    # interactive brokers' fixed pricing: 0.005 a share, at least 1, at most 1 % of the trade's value
    # (1 share at 50: 0.005, raised to 1, capped at 1 % of 50; 2 at 60: raised to 1, below 1 % of 120)
    assert fees("commission = per_share(0.005); min_commission = 1; max_commission = percent(1)", units=1) == \
        [1 / 100.0 * 1 * 50, 1.0]


TIERS = "per_share_tiers([0, 150, 1000], [0.01, 0.005, 0.001])"


def test_tiered_per_share_charges_the_tier_each_fill_falls_in():
    # 100 shares below 150: 0.01 each; then 200 from 150: 0.005 each
    assert fees(f"commission = {TIERS}") == [0.01 * 100, 0.005 * 200]
    # a size reached exactly is in its tier: 150 shares at 0.005, 300 at 0.005
    assert fees(f"commission = {TIERS}", units=150) == [0.005 * 150, 0.005 * 300]
    # 149 and 298 shares: one tier each side of 150; 1000 and 2000: the last tier
    assert fees(f"commission = {TIERS}", units=149) == [0.01 * 149, 0.005 * 298]
    assert fees(f"commission = {TIERS}", units=1000) == [0.001 * 1000, 0.001 * 2000]
    # a fixed fee and a floor still apply: 1 + 0.01 * 30 is raised to 1.5; 1 + 0.01 * 60 is above it
    assert fees(f"commission = fixed(1) + {TIERS}; min_commission = 1.5", units=30) == [1.5, 1 + 0.01 * 60]
    assert fees("commission = per_share_tiers([0], [0.02])") == [0.02 * 100, 0.02 * 200]  # one tier: per_share


@pytest.mark.parametrize(("costs", "code"), [
    ("commission = per_share_tiers([0, 100], [0.01])", "FL509"),  # a rate per size
    ("commission = per_share_tiers([10, 100], [0.01, 0.005])", "FL509"),  # the first tier starts at 0
    ("commission = per_share_tiers([0, 100, 100], [0.01, 0.005, 0.001])", "FL509"),  # sizes increase
    ("commission = per_share_tiers([0, 500, 100], [0.01, 0.005, 0.001])", "FL509"),
    ("commission = per_share_tiers([0, 100], [0.01, -0.005])", "FL509"),  # rates at least 0
    ("commission = per_share_tiers(0, 0.01)", "FL501"),  # lists
    ("commission = per_share_tiers([], [])", "FL501"),
    ("commission = per_share_tiers([0, close], [0.01, 0.005])", "FL501"),  # numbers known before the run
    ("commission = per_share_tiers([0, 100])", "FL502"),
    ("commission = percent(-1)", "FL509"),
    ("commission = fixed(1) + bps(2)", "FL503"),
    ("min_commission = -1", "FL509"),
    ("max_commission = per_share(1)", "FL501"),
])
def test_bad_commissions_are_diagnosed(costs, code):
    assert [c for c, _ in errors(TEMPLATE.format(costs=costs, units=100))] == [code]


@pytest.mark.slow
def test_the_compiled_engine_agrees(tmp_path):
    path = tmp_path / "fees.flow"
    path.write_text(TEMPLATE.format(units=37, costs="commission = fixed(1) + percent(0.1) + per_share(0.002); "
                                                      "min_commission = 2.5; max_commission = percent(0.3)"))
    prepared = prepare(path)
    market = bars(*[(50 + k, 51 + k, 49 + k, 50 + k, (-1) ** k * (1 + k % 3)) for k in range(12)])
    prepared.market = market
    compiled = run_prepared(prepared, engine="compiled")
    assert compiled.same_as(run_reference(prepared.analysis, market, list(prepared.params())))
    assert len(compiled.fills) == 12


def test_the_cash_check_counts_a_tiered_term_at_its_highest_rate():
    # 1,000 of cash buys floor(1000 / (50 + 5.0)) = 18 units at 50, counting 5.0 a unit, the dearest tier;
    # the 18 units are in the tier from 10 and pay 0.1 each (at that rate 19 would have been paid for)
    text = TEMPLATE.format(costs="commission = per_share_tiers([0, 10], [5.0, 0.1])", units=100)
    ledger = reference(text.replace("cash = 100_000", "cash = 1_000; buying_power = cut"), MARKET)
    first = ledger.fills[0]
    assert (float(first["quantity"]), float(first["price"]), float(first["commission"])) == (18.0, 50.0, 0.1 * 18)
    assert [(int(o["step"]), float(o["quantity"]), int(o["status"])) for o in ledger.orders][1] == (0, 82.0, 3)


@pytest.mark.parametrize(("values", "problem"), [
    ({"z": 100.0}, "a size of `per_share_tiers` of `execution` is 100 (the param `z`), not above 150"),
    ({"z": 2000.0, "r": -0.5}, "`commission` of `execution` is -0.5 (the param `r`)"),
])
def test_tiers_given_by_params_are_checked_when_the_run_starts(tmp_path, values, problem):
    path = tmp_path / "tiers.flow"
    path.write_text("param z: float = 1000\nparam r: float = 0.001\n" + TEMPLATE.format(
        units=100, costs="commission = per_share_tiers([0, 150, z], [0.01, 0.005, r])"))
    prepared = prepare(path)
    prepared.market = MARKET
    assert len(run_prepared(prepared, engine="reference").fills) == 2  # the defaults increase
    with pytest.raises(FlowError, match="FL509") as caught:
        run_prepared(prepared, values, engine="reference")
    assert problem in str(caught.value)


@pytest.mark.slow
def test_the_compiled_engine_agrees_on_tiers(tmp_path):
    path = tmp_path / "tiers.flow"
    path.write_text(TEMPLATE.format(units=100, costs=f"commission = percent(0.05) + {TIERS} + "
                                                       "per_share_tiers([0], [0.001]); max_commission = 9"))
    prepared = prepare(path)
    market = bars(*[(50 + k, 51 + k, 49 + k, 50 + k, (-1) ** k * (1 + k % 3) * 10) for k in range(12)])
    prepared.market = market
    compiled = run_prepared(prepared, engine="compiled")
    assert compiled.same_as(run_reference(prepared.analysis, market, list(prepared.params())))
    assert {abs(q) >= 150 for q in compiled.fills["quantity"]} == {False, True}  # fills in two tiers
