"""Futures contracts (docs/semantics.md, section 8b): margin posted, positions settled at fills and closes.

Each case runs both engines (`run_both`: the compiled ledger must equal the reference's to the bit).
The volume column of the bars is the position the risk container targets at each step, filled at
that close. backtrader's futures-like cases, from its own tests, are quoted with their numbers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flowc.dsl.diagnostics import FlowError
from flowc.runtime.manager import check_settings, prepare, run_prepared
from flowc.runtime.reference import run_reference
from flowc.runtime.results import summarise

from .test_exits import bars, errors, fills
from .test_fill_realism import run_both

PEERS = Path(__file__).resolve().parents[1] / "fixtures" / "peers"

TEMPLATE = """
containers t {{ backtest: backtest {{
    data: data {{
        source = sample("sp500", symbol = "ES")
        {contract}
    }}
    strategy: strategy {{ signal = volume }}
    risk: risk {{ size = units(abs(volume)); rebalance = true; long_only = false }}
    execution: execution {{ fill = close(); commission = per_share({fee}) }}
    portfolio: portfolio {{ cash = {cash}; {portfolio} }}
}} }}
communication w {{
    pipeline data -> strategy -> risk -> execution -> portfolio
    broadcast data -> risk, execution, portfolio : BAR
}}
workflow w {{ containers = t; communication = w }}
"""


def flow(cash: float, *, multiplier: float = 10, margin: float = 10, fee: float = 0.5, portfolio: str = "",
         contract: bool = True) -> str:
    declared = f"contract = future(multiplier = {multiplier}, margin = {margin})" if contract else ""
    return TEMPLATE.format(contract=declared, fee=fee, cash=cash, portfolio=portfolio)


def at(*targets: tuple[float, float]) -> list[tuple[float, ...]]:
    """Bars at `price`, each targeting `position` contracts: (open, high, low, close, position)."""
    return [(price, price, price, price, position) for price, position in targets]


def cash_of(ledger, margin: float) -> float:
    """The cash at the end: the equity less the margin the position holds (section 8b)."""
    return float(ledger.equity[-1, 0]) - abs(float(ledger.positions[0, 0])) * margin


# ---- backtrader, tests/test_comminfo.py, check_futures ----------------------------------------------------------
# CommissionInfo(commission = 0.5, mult = 10, margin = 10); price 10, size 100, new price 5:
# getoperationcost == size * margin, getvalue == size * margin, getcommission == size * commission,
# profitandloss == cashadjust == size * (newprice - price) * mult.


def test_backtrader_check_futures(tmp_path):
    ledger = run_both(tmp_path, flow(10_000), at((10.0, 100), (5.0, 100)))
    assert fills(ledger) == [(0, 100.0, 10.0)]
    assert ledger.fills["commission"][0] == 100 * 0.5  # getcommission: 50.0
    # bought: the operation cost (100 * 10 = 1000) and the commission leave the cash; the value is the margin held
    assert ledger.equity[0, 0] == 10_000 - (100 * 10 + 50) + 100 * 10  # 9950.0: the value of the position is 1000
    # a close 5 points lower: cashadjust (and profitandloss) 100 * (5 - 10) * 10 = -5000
    assert ledger.equity[1, 0] - ledger.equity[0, 0] == 100 * (5.0 - 10.0) * 10
    assert cash_of(ledger, 10) == 10_000 - 1000 - 50 - 5000
    assert ledger.cash[:, 0].tolist() == [10_000 - 1000 - 50, 10_000 - 1000 - 50 - 5000]  # recorded by the engines


def test_a_buy_needs_the_margin_not_the_notional(tmp_path):
    # 100 contracts of 10 points x 10 are 10,000 of notional; their margin and commission are 100 * 10.5
    ledger = run_both(tmp_path, flow(1050, portfolio="buying_power = cut"), at((10.0, 100)))
    assert fills(ledger) == [(0, 100.0, 10.0)] and cash_of(ledger, 10) == 0.0
    ledger = run_both(tmp_path, flow(1049, portfolio="buying_power = cut"), at((10.0, 100)))
    assert fills(ledger) == [(0, 99.0, 10.0)]  # floor(1049 / (10 + 10 * 0 + 0.5))
    assert [(int(o["step"]), float(o["quantity"]), int(o["status"])) for o in ledger.orders] == [(0, 100.0, 0),
                                                                                                (0, 1.0, 3)]
    assert run_both(tmp_path, flow(1049, portfolio="buying_power = reject"), at((10.0, 100))).fills.size == 0


def test_a_short_needs_its_margin_and_a_cover_needs_none(tmp_path):
    ledger = run_both(tmp_path, flow(1049, portfolio="buying_power = cut"), at((10.0, -100)))
    assert fills(ledger) == [(0, -99.0, 10.0)]  # a sell that opens contracts meets the cash too
    # long 100 (cash 2100 - 1050), then a reversal to short 100 at 9: the 100 that close always fill
    # (the settlement of -1000 comes with the fill), the 100 that open meet the cash as it stands, 1050
    ledger = run_both(tmp_path, flow(2100, portfolio="buying_power = cut"), at((10.0, 100), (9.0, -100)))
    assert fills(ledger) == [(0, 100.0, 10.0), (1, -200.0, 9.0)]
    ledger = run_both(tmp_path, flow(2099, portfolio="buying_power = cut"), at((10.0, 100), (9.0, -100)))
    assert fills(ledger) == [(0, 100.0, 10.0), (1, -199.0, 9.0)]  # floor(1049 / 10.5) = 99 of the 100 opening


def test_settlement_at_each_close_and_at_the_fill_price(tmp_path):
    rows = at((100.0, 2), (101.5, 2), (99.25, 3), (99.25, 0))
    ledger = run_both(tmp_path, flow(100_000, multiplier=50, margin=1000, fee=2), rows)
    cash = 100_000.0
    cash = cash - ((2.0 - 0.0) * 1000 + 4.0)  # bought 2 at 100: margin posted, commission paid
    equity = [cash + 2 * 1000]
    cash = cash + 2.0 * (101.5 - 100.0) * 50  # settled to the close
    equity.append(cash + 2 * 1000)
    cash = cash + 2.0 * (99.25 - 101.5) * 50  # settled to the fill price, 1 more bought
    cash = cash - ((3.0 - 2.0) * 1000 + 2.0)
    equity.append(cash + 3 * 1000)
    cash = cash - ((0.0 - 3.0) * 1000 + 6.0)  # sold at the mark: the margin released
    equity.append(cash)
    assert ledger.equity[:, 0].tolist() == equity
    trades = summarise("w", ledger, bars(*rows), 252.0).trades
    assert trades["pnl"].tolist() == [(-2.0 * 100.0) * 50 - 4.0 + (-1.0 * 99.25) * 50 - 2.0 + (3.0 * 99.25) * 50 - 6.0]
    assert equity[-1] - 100_000.0 == pytest.approx(trades["pnl"][0], abs=1e-9)


def test_the_leverage_limit_reads_the_notional(tmp_path):
    # 100,000 of equity at 1x: 20 contracts of 100 points x 50
    ledger = run_both(tmp_path, flow(100_000, multiplier=50, margin=1000, fee=0,
                                     portfolio="buying_power = cut; max_leverage = 1"), at((100.0, 30)))
    assert fills(ledger) == [(0, 20.0, 100.0)]


@pytest.mark.parametrize(("size", "contracts"), [
    ("percent_equity(100)", 20.0),  # 100,000 of equity in contracts of 100 points x 50: 20
    ("weight(0.5)", 10.0),
    ("risk_percent(1, 20)", 1.0),  # 1 % of 100,000 lost over 20 points x 50 a contract: 1
])
def test_risk_sizes_a_future_by_its_notional(tmp_path, size, contracts):
    text = flow(100_000, multiplier=50, margin=1000).replace(
        "size = units(abs(volume)); rebalance = true", f"size = {size}").replace(
        "broadcast data", "feedback portfolio -> risk : PORTFOLIO\n    broadcast data")
    assert fills(run_both(tmp_path, text, at((100.0, 1), (100.0, 1)))) == [(0, contracts, 100.0)]


def test_a_short_future_pays_no_borrow_fee(tmp_path):
    rows = at((100.0, -4), (90.0, -4))
    with_fee = run_both(tmp_path, flow(100_000, multiplier=50, margin=1000, portfolio="borrow_fee_per_bar = 1"), rows)
    without = run_both(tmp_path, flow(100_000, multiplier=50, margin=1000), rows)
    assert with_fee.equity.tolist() == without.equity.tolist()
    assert with_fee.equity[-1, 0] == 100_000 - 4 * 0.5 + 4.0 * (100.0 - 90.0) * 50


def test_a_stock_is_as_before(tmp_path):
    ledger = run_both(tmp_path, flow(10_000, contract=False), at((10.0, 100), (5.0, 100)))
    assert ledger.equity[:, 0].tolist() == [10_000 - (100 * 10.0 + 50.0) + 100 * 10.0,
                                            10_000 - (100 * 10.0 + 50.0) + 100 * 5.0]


@pytest.mark.parametrize(("contract", "message"), [
    ("future(multiplier = 0, margin = 10)", ("FL509", "the `multiplier` of `future` must be above 0, not 0")),
    ("future(multiplier = 50, margin = -1)", ("FL509", "the `margin` of `future` must be at least 0, not -1")),
    ("future(50)", ("FL502", "`future` is missing the argument `margin`")),
    ("3", ("FL501", "`contract` must be a call of `future()`")),
    ("stock()", ("FL503", "no component `stock` for the data setting `contract`")),
])
def test_a_bad_contract_is_diagnosed(contract, message):
    text = flow(1000).replace("contract = future(multiplier = 10, margin = 10)", f"contract = {contract}")
    assert errors(text) == [message]


def test_a_contract_belongs_to_a_data_container():
    text = flow(1000).replace("portfolio { cash", "portfolio { contract = future(1, 1); cash")
    assert errors(text) == [("FL504", "a portfolio container has no setting `contract`")]


def test_a_param_contract_is_checked_before_the_run(tmp_path):
    path = tmp_path / "p.flow"
    path.write_text("param point: float = 0\n" + flow(1000).replace("multiplier = 10", "multiplier = point"))
    prepared = prepare(path)
    with pytest.raises(FlowError, match=r"FL509 `multiplier` of `data` is 0 \(the param `point`\); it must be above"):
        check_settings(prepared.plan, prepared.params())


# ---- backtrader, tests/test_strategy_unoptimized.py, stocklike = False ------------------------------------------
# An SMA(15) crossover of the close on datas/2006-day-001.txt buys 1 when flat and the close crosses
# above, closes when it crosses below, at the next open; setcommission(commission = 2.0, mult = 10.0,
# margin = 1000.0) on 10,000 of cash. Published: `getvalue() == 12795.00`, `getcash() == 11795.00`
# (one contract still held: its 1000 of margin), and the executed prices BUYEXEC and SELLEXEC.

BUYEXEC = [3643.35, 3801.03, 3872.37, 3863.57, 3845.32, 3656.43, 3542.65, 3639.65, 3799.86, 3840.20, 4047.63, 4052.55]
SELLEXEC = [3763.95, 3811.85, 3822.35, 3822.57, 3829.82, 3598.58, 3545.92, 3766.80, 3782.15, 3979.73, 4045.05]

CROSSOVER = """
containers futures_like {{
    backtest: backtest {{
        data: data {{
            source = csv("{path}", symbol = "FUT")
            {contract}
        }}
        features: feature {{ average = sma(close, 15) }}
        strategy: strategy {{ signal = hold(long = cross_above(close, average), flat = cross_below(close, average)) }}
        risk: risk {{ size = fixed(1); long_only = true }}
        execution: execution {{ fill = next_open(); {commission} }}
        portfolio: portfolio {{ cash = 10_000 }}
    }}
}}
communication w {{
    pipeline data -> features -> strategy -> risk -> execution -> portfolio
    broadcast data -> strategy, risk, execution, portfolio : BAR
}}
workflow futures_like {{ containers = futures_like; communication = w }}
"""


@pytest.mark.parametrize(("contract", "commission", "value", "cash"), [
    ("contract = future(multiplier = 10, margin = 1000)", "commission = per_share(2)", "12795.00", "11795.00"),
    ("", "", "10284.10", "6164.16"),  # stocklike = True: 1 share, no commission
])
def test_backtrader_futures_like_strategy(tmp_path, contract, commission, value, cash):
    path = tmp_path / "crossover.flow"
    path.write_text(CROSSOVER.format(path=PEERS / "backtrader-2006-day-001.csv", contract=contract,
                                     commission=commission))
    prepared = prepare(path)
    reference = run_reference(prepared.analysis, prepared.market, list(prepared.params()))
    assert run_prepared(prepared, engine="compiled").same_as(reference)
    buys = [round(float(f["price"]), 2) for f in reference.fills if f["quantity"] > 0]
    sells = [round(float(f["price"]), 2) for f in reference.fills if f["quantity"] < 0]
    assert (buys, sells) == (BUYEXEC, SELLEXEC)
    held = abs(float(reference.positions[0, 0]))
    final = float(reference.equity[-1, 0])
    last_close = float(prepared.market.close[-1, 0])
    assert f"{final:.2f}" == value
    assert f"{final - (held * 1000 if contract else held * last_close):.2f}" == cash
    table = summarise("futures_like", reference, prepared.market, None).positions()  # in cash, open trade marked
    assert float(table["realised_pnl"].sum() + table["unrealised_pnl"].sum()) == pytest.approx(final - 10_000, abs=1e-6)


def test_the_futures_example(tmp_path):
    """examples/futures.flow: both engines, and the gain is the closed trades' P&L in cash (flat at the end)."""
    prepared = prepare(Path(__file__).resolve().parents[2] / "examples" / "futures.flow")
    reference = run_reference(prepared.analysis, prepared.market, list(prepared.params()))
    assert run_prepared(prepared, engine="compiled").same_as(reference)
    assert float(reference.equity[-1, 0]) == 1_720_079.8864500048 and len(reference.fills) == 66
    gain = 0.0
    for f in reference.fills:  # every trade by hand: what it paid at entry and got at exit, 50 a point
        gain = gain - float(f["quantity"]) * float(f["price"]) * 50.0 - float(f["commission"])
    assert float(reference.positions[0, 0]) == 0.0
    assert float(reference.equity[-1, 0]) - 1_000_000 == pytest.approx(gain, rel=1e-12)
    trades = summarise("futures", reference, prepared.market, None).trades
    assert len(trades) == 33 and float(trades["pnl"].sum()) == pytest.approx(gain, rel=1e-12)


def test_a_contract_is_part_of_the_program_key(tmp_path):
    """A plan with a contract compiles to another program than the same plan of stocks (the cache must not mix them)."""
    keys = []
    for k, text in enumerate((flow(1000), flow(1000, contract=False))):
        path = tmp_path / f"{k}.flow"
        path.write_text(text)
        keys.append(prepare(path).plan.digest)
    assert keys[0] != keys[1]
