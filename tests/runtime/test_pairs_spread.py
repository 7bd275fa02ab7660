"""`examples/pairs_spread.flow` against its definition computed here in plain Python.

`z = zscore(lc@SPX - lc@NDX, 60)` per docs/semantics.md (sections 3 and 5), evaluated on SPX's
bars; the state is `hold(long = z < -2, short = z > 2, flat = abs(z) < 0.25)`; SPX's signal is
the state and NDX's its opposite. The compiled program must give exactly these directions.
"""

import math

import numpy as np

from flowc.runtime.manager import prepare, run_prepared
from flowc.runtime.reference import run_reference
from tests.conftest import EXAMPLES


def zscores(x: list[float], n: int) -> list[float]:
    """`zscore(x, n)` over the calls, as section 5 defines it (running sum, run of defined inputs)."""
    out: list[float] = []
    window: list[float] = []
    run, total = 0, 0.0
    for v in x:
        if v != v:
            run, window = 0, []
            out.append(math.nan)
            continue
        run += 1
        old = window[0] if len(window) == n else math.nan  # the input n calls ago
        window = [*window, v][-n:]
        if run < n:
            out.append(math.nan)
            continue
        if run == n:
            total = 0.0
            for w in window:
                total = total + w
        else:
            total = total + (v - old)
        m = 0.0
        for w in window:
            m = m + w
        m = m / n
        ss = 0.0
        for w in window:
            ss = ss + (w - m) * (w - m)
        sd = math.sqrt(ss / (n - 1))
        out.append(math.nan if sd == 0.0 or sd != sd else (v - total / n) / sd)
    return out


def test_pairs_spread_matches_its_definition():
    prepared = prepare(EXAMPLES / "pairs_spread.flow")
    ledger = run_prepared(prepared, signals=True)
    market = prepared.market
    spx, ndx = list(market.symbols).index("SPX"), list(market.symbols).index("NDX")
    steps = np.flatnonzero(market.present[:, spx])
    x = [math.log(market.close[t, spx]) - math.log(market.close[t, ndx]) if market.present[t, ndx] else math.nan
         for t in steps]
    z = zscores(x, 60)
    state, states = 0.0, []
    for v in z:
        if abs(v) < 0.25:
            state = 0.0
        elif v < -2:
            state = 1.0
        elif v > 2:
            state = -1.0
        states.append(state)
    emitted, direction, _ = ledger.signals["strategy"]
    assert emitted[steps, spx].all()
    assert (direction[steps, spx] == np.array(states)).all()
    both = market.present[steps, ndx]
    assert (direction[steps[both], ndx] == -np.array(states)[both]).all()
    assert ledger.same_as(run_reference(prepared.analysis, market, list(prepared.params())))
    assert len(ledger.fills) > 100
