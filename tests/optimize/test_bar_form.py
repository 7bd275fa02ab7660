"""An `sma` of a BAR field reads the field in place of its ring only where its setting runs at every bar.

The bar form (`features.sma_bar_step`) is right only when the call before the one `n` calls ago was
made `n` steps ago: every bar present (`present is None`) and the setting run at each of them
(`codegen.expr.step_calls`, `series._every_bar`). Here a feature container runs at every bar, one
behind a guarded route, one on a timeframe, and a strategy's setting reads a FEATURE that is not
there at every bar: only the first may take the bar form, and every run equals the reference.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import flowc.compiler.optimize as optimize
from flowc.runtime import executor
from flowc.runtime.reference import run_reference

from .helpers import prepared, random_market, raw_plan, run_plan

TEXT = """
containers c {
    backtest: backtest {
        data: data { source = synthetic(bars = 100, symbols = 2, seed = 5) }
        every: feature { a = sma(close, 5) }
        guarded: feature { b = sma(close, 4) }
        coarse: feature { timeframe = every(3); c = sma(close, 3) }
        strategy: strategy { signal = crossover(a, (b + sma(close, 6)) / 2) + crossover(c, sma(open, 2)) }
        risk: risk { size = fixed(10) }
        execution: execution { fill = next_open(); commission = percent(0.1) }
        portfolio: portfolio { cash = 100_000 }
    }
}

communication w {
    pipeline data -> every -> strategy -> risk -> execution -> portfolio
    route data -> guarded : BAR when close > open
    route data -> coarse : BAR
    route guarded, coarse -> strategy : FEATURE
    broadcast data -> strategy, execution, portfolio : BAR
    feedback portfolio -> risk : PORTFOLIO
}

workflow w { containers = c; communication = w }
"""


@pytest.fixture(scope="module")
def topology(tmp_path_factory):
    p = prepared(tmp_path_factory.mktemp("bar_form"), TEXT)
    return p, optimize.optimize(raw_plan(p), p.analysis)


def test_only_the_setting_run_at_every_bar_takes_the_bar_form(topology):
    _, plan = topology
    for one in (False, True):
        source = executor.compile_plan(plan, one).generated.source
        assert re.findall(r"= sma_bar_step\(bar_(\w+), t, s, c_(\w+?)_\d+_1", source) == [("close", "n1_every")]


@pytest.mark.parametrize("holes", [0.0, 0.2])
@pytest.mark.parametrize("symbols", [1, 2])
def test_every_run_equals_the_reference(topology, holes, symbols):
    p, plan = topology
    market = random_market(p.market.symbols[:symbols], 90, seed=7, holes=holes)
    assert (market.present.all() if holes == 0.0 else not market.present.all())
    ledger = run_plan(plan, p, market)
    assert len(ledger.fills) > 0
    with np.errstate(all="ignore"):
        assert ledger.same_as(run_reference(p.analysis, market, list(p.params(None))))
