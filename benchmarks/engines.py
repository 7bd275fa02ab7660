"""The one strategy of `examples/simple_backtest.flow`, run by every engine the benchmark compares.

Hold 100 units of each symbol while its 10-bar SMA of the close is above its 30-bar SMA, none
otherwise; an order decided at a bar's close fills at the next bar's open; commission 0.1% of
the notional; 1,000,000 of cash, one book for every symbol; the order still pending after the
last bar never fills. Each engine gets the same bars in the form it takes (converted before
the clock starts) and must report the same final equity and number of closed round-trip
trades as flowc. Where an engine needs help to mean the same thing, it is said here:

- **numba loop** (`baselines.sma_crossover_nb`): one symbol per call, each with its own cash;
  several symbols add up their profits (the same book: no engine runs short of cash here).
  It keeps only the equity curve; **numba loop (ledger)** (`sma_crossover_ledger`) also
  records the cash curve, exposure, drawdown, orders and fills, as flowc's ledger does.
- **vectorbt** (`Portfolio.from_signals`): vectorbt fills a signal at the bar it is on, so the
  hold signal is shifted one bar and filled at that bar's open (`price=open`); `fees=0.001` is
  its fraction of the notional. Several symbols share one cash (`group_by=True,
  cash_sharing=True`), processed in column order as flowc does. Its SMA is its own (`vbt.MA`).
  Timed: both SMAs, the signals, the simulation and the equity curve (`value()`).
- **backtesting.py**: one `Backtest` per symbol (it takes one instrument), each with its own
  cash, profits added up; its market orders fill at the next open by default; `commission=0.001`.
  SMAs from pandas' rolling mean. backtesting.py first calls `next()` one bar *after* every
  indicator is defined, so it would miss a position the others open on the first defined bar;
  the bar before it gets SMAs of -inf and +inf (defined, and holding nothing) so that `next()`
  runs from the first defined bar, as in every other engine. Timed: `Backtest.run()`.
- **backtrader**: market orders fill at the next bar's open by default;
  `setcommission(commission=0.001)` is 0.1% of the notional for a stock. Timed: building
  Cerebro with its data feed and `run()`.

Floating sums in other engines' SMAs may differ from flowc's in the last bits; a crossing
decided by such a difference would change a trade. The benchmark reports the relative
difference of the final equity and fails loudly if trades differ.
"""

from __future__ import annotations

import importlib.util
import warnings
from dataclasses import dataclass

import numpy as np
from common import CASH, COMMISSION_PCT, EXAMPLE, FAST, QUANTITY, SLOW, random_walk


@dataclass(frozen=True)
class Outcome:
    final_equity: float
    trades: int  # closed round trips


class Engine:
    name = ""
    package: str | None = None  # importable name; None: always available

    @classmethod
    def available(cls) -> bool:
        return cls.package is None or importlib.util.find_spec(cls.package) is not None

    def setup(self, market) -> None:
        """Convert the bars into this engine's input (not timed)."""
        raise NotImplementedError

    def run(self) -> object:
        """The timed work; returns what `outcome` reads."""
        raise NotImplementedError

    def outcome(self, result: object) -> Outcome:
        raise NotImplementedError

    def warm(self) -> None:
        """Compile whatever a first call compiles, on a few bars, so timings exclude it."""
        self.setup(random_walk(200, 2, seed=99))
        self.run()


# ---- flowc -------------------------------------------------------------------------------


class Flowc(Engine):
    """The `.flow` file compiled once; each run is `run_prepared` on the benchmark's bars, as
    `flowc run` makes it (no signals kept, so nothing of one run is reused by the next)."""

    name = "flowc"

    def __init__(self) -> None:
        from flowc.runtime.manager import prepare

        self.prepared = prepare(EXAMPLE)

    def setup(self, market) -> None:
        p = self.prepared
        p.market = market
        p.owner = np.zeros(len(market.symbols), dtype=np.int64)
        p.symlit = np.full(len(market.symbols), -1, dtype=np.int64)

    def run(self):
        from flowc.runtime.manager import run_prepared

        return run_prepared(self.prepared)

    def outcome(self, ledger) -> Outcome:
        from flowc.runtime.trades import build_trades

        f = ledger.fills
        closed, _ = build_trades(f["step"], f["symbol"], f["quantity"], f["price"], f["commission"],
                                 n_symbols=len(self.prepared.market.symbols))
        return Outcome(float(ledger.equity[-1].sum()), len(closed))


# ---- the hand-written floor --------------------------------------------------------------


class NumbaLoop(Engine):
    """`benchmarks/baselines.py::sma_crossover_nb`: what an expert writes by hand for this strategy."""

    name = "numba loop"

    def setup(self, market) -> None:
        from baselines import sma_crossover_nb

        self.fn = sma_crossover_nb
        self.columns = [(np.ascontiguousarray(market.open[:, s]), np.ascontiguousarray(market.close[:, s]))
                        for s in range(len(market.symbols))]

    def run(self):
        return [self.fn(o, c, FAST, SLOW, QUANTITY, COMMISSION_PCT, CASH) for o, c in self.columns]

    def outcome(self, results) -> Outcome:
        final = CASH + sum(r[0] - CASH for r in results)
        return Outcome(float(final), sum(int(r[1]) for r in results))


class NumbaLedger(NumbaLoop):
    """`baselines.py::sma_crossover_ledger`: the same loop recording what flowc's ledger holds.

    The floor above does less than flowc: it keeps no cash curve, exposure, drawdown, orders or
    fills. This loop does (for each symbol), so it is the floor for the same results.
    """

    name = "numba loop (ledger)"

    def setup(self, market) -> None:
        super().setup(market)
        from baselines import sma_crossover_ledger

        self.fn = sma_crossover_ledger

    def run(self):
        return [self.fn(o, c, FAST, SLOW, QUANTITY, COMMISSION_PCT, CASH)[0] for o, c in self.columns]


# ---- vectorbt ----------------------------------------------------------------------------


class Vectorbt(Engine):
    name = "vectorbt"
    package = "vectorbt"
    engine = "numba"

    @classmethod
    def available(cls) -> bool:
        if not super().available():
            return False
        if cls.engine == "rust":
            return importlib.util.find_spec("vectorbt_rust") is not None
        return True

    def setup(self, market) -> None:
        import pandas as pd
        import vectorbt as vbt

        self.vbt = vbt
        index = pd.DatetimeIndex(market.timestamps)
        columns = list(market.symbols)
        self.close = pd.DataFrame(market.close, index=index, columns=columns)
        self.open = pd.DataFrame(market.open, index=index, columns=columns)
        self.shared = len(columns) > 1

    def run(self):
        import pandas as pd

        vbt = self.vbt
        fast = vbt.MA.run(self.close, FAST).ma.to_numpy()
        slow = vbt.MA.run(self.close, SLOW).ma.to_numpy()
        hold = fast > slow
        held = np.zeros_like(hold)
        held[1:] = hold[:-1]  # decided at the close of t-1, filled at the open of t
        entries = pd.DataFrame(held, index=self.close.index, columns=self.close.columns)
        exits = pd.DataFrame(~held, index=self.close.index, columns=self.close.columns)
        extra = {"group_by": True, "cash_sharing": True} if self.shared else {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pf = vbt.Portfolio.from_signals(self.close, entries, exits, price=self.open, size=QUANTITY,
                                            size_type="amount", fees=COMMISSION_PCT / 100, init_cash=CASH,
                                            direction="longonly", freq="1min", engine=self.engine, **extra)
            value = pf.value()
        return pf, value

    def outcome(self, result) -> Outcome:
        pf, value = result
        final = np.asarray(value)[-1]
        return Outcome(float(np.sum(final)), int(np.sum(np.asarray(pf.trades.closed.count()))))


class VectorbtRust(Vectorbt):
    name = "vectorbt (rust)"
    engine = "rust"


# ---- backtesting.py ----------------------------------------------------------------------


def _frames(market, columns: tuple[str, str, str, str, str]) -> list:
    """One pandas frame of OHLCV bars per symbol, its columns named as the engine wants them."""
    import pandas as pd

    index = pd.DatetimeIndex(market.timestamps)
    arrays = (market.open, market.high, market.low, market.close, market.volume)
    return [pd.DataFrame({c: a[:, s] for c, a in zip(columns, arrays, strict=True)}, index=index)
            for s in range(len(market.symbols))]


def _rolling_mean(values, n, warm_up, fill):
    """pandas' rolling mean, with the last warm-up bar set to `fill` (see `BacktestingPy`)."""
    import pandas as pd

    mean = pd.Series(values).rolling(n).mean().to_numpy().copy()
    if len(mean) >= warm_up:
        mean[warm_up - 2] = fill
    return mean


def _backtesting_strategy():
    from backtesting import Strategy

    class SmaCross(Strategy):
        def init(self):
            warm_up = max(FAST, SLOW)
            self.fast = self.I(_rolling_mean, self.data.Close, FAST, warm_up, -np.inf)
            self.slow = self.I(_rolling_mean, self.data.Close, SLOW, warm_up, np.inf)

        def next(self):
            hold = self.fast[-1] > self.slow[-1]
            if hold and not self.position:
                self.buy(size=QUANTITY)
            elif not hold and self.position:
                self.position.close()

    return SmaCross


class BacktestingPy(Engine):
    name = "backtesting.py"
    package = "backtesting"

    def setup(self, market) -> None:
        from backtesting import Backtest

        strategy = _backtesting_strategy()
        self.tests = [Backtest(frame, strategy, cash=CASH, commission=COMMISSION_PCT / 100)
                      for frame in _frames(market, ("Open", "High", "Low", "Close", "Volume"))]

    def run(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [bt.run() for bt in self.tests]

    def outcome(self, results) -> Outcome:
        final = CASH + sum(float(r["Equity Final [$]"]) - CASH for r in results)
        return Outcome(final, sum(int(r["# Trades"]) for r in results))


# ---- backtrader --------------------------------------------------------------------------


def _backtrader_strategy():
    import backtrader as bt

    class SmaCross(bt.Strategy):
        def __init__(self):
            self.closed = 0
            self.pairs = [(bt.indicators.SMA(d.close, period=FAST), bt.indicators.SMA(d.close, period=SLOW))
                          for d in self.datas]

        def notify_trade(self, trade):
            if trade.isclosed:
                self.closed += 1

        def next(self):
            for data, (fast, slow) in zip(self.datas, self.pairs, strict=True):
                hold = fast[0] > slow[0]
                held = self.getposition(data).size != 0
                if hold and not held:
                    self.buy(data=data, size=QUANTITY)
                elif not hold and held:
                    self.close(data=data)

    return SmaCross


class Backtrader(Engine):
    name = "backtrader"
    package = "backtrader"

    def setup(self, market) -> None:
        self.frames = _frames(market, ("open", "high", "low", "close", "volume"))

    def run(self):
        import backtrader as bt

        cerebro = bt.Cerebro(stdstats=False)
        for frame in self.frames:
            cerebro.adddata(bt.feeds.PandasData(dataname=frame, openinterest=None))
        cerebro.addstrategy(_backtrader_strategy())
        cerebro.broker.setcash(CASH)
        cerebro.broker.setcommission(commission=COMMISSION_PCT / 100)
        strategy = cerebro.run()[0]
        return cerebro.broker.getvalue(), strategy.closed

    def outcome(self, result) -> Outcome:
        value, closed = result
        return Outcome(float(value), int(closed))


ALL = (Flowc, NumbaLoop, NumbaLedger, Vectorbt, VectorbtRust, BacktestingPy, Backtrader)
