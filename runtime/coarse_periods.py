"""How many bars the data has in one calendar period, per timeframe: the warm-up of a range cut anywhere."""

from __future__ import annotations

from functools import cache

import numpy as np

from flowc.compiler.ir import TIMEFRAME_KINDS, Timeframe
from flowc.compiler.warmup import PerPeriod
from flowc.runtime.data import MarketData


def most_bars_per_period(market: MarketData) -> PerPeriod:
    """The most bars one symbol has in one period of a timeframe (`kernels.timeframes.period_nb`), 1 at least."""
    from flowc.runtime.kernels.timeframes import periods_nb

    @cache
    def most(tf: Timeframe) -> int:
        periods = periods_nb(TIMEFRAME_KINDS.index(tf.kind), tf.n, market.seconds)
        found = 1
        for s in range(market.n_symbols):
            own = periods[market.present[:, s]]
            if len(own):
                found = max(found, int(np.unique(own, return_counts=True)[1].max()))
        return found

    return most
