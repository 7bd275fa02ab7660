"""No look-ahead: changing prices after step k never changes anything recorded up to step k.

A fill at step t may use bar t's prices (its open for next-open fills, its close for close fills), the
volume of the latest bar closed before it (`volume_impact`) and, for how much of it fills, bar t's volume
(a participation cap), never a later one;
equity and cash up to k, and every order and fill up to k, must not move.
"""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowc.runtime.data import MarketData
from flowc.runtime.ledger import Ledger
from flowc.runtime.manager import run_prepared
from flowc.runtime.reference import run_reference
from tests.test_differential import _random_market, shapes  # noqa: F401  (the shared compiled topologies)


def _perturbed(market: MarketData, k: int, seed: int) -> MarketData:
    """The same bars up to step k; after it, every price and volume scaled by a random factor per bar."""
    rng = np.random.default_rng(seed)
    T, S = market.close.shape
    scale = np.ones((T, S))
    scale[k + 1:] = np.exp(rng.normal(0.0, 0.05, (T - k - 1, S)))
    arrays = [a * scale for a in (market.open, market.high, market.low, market.close, market.volume)]
    return MarketData(market.symbols, market.timestamps, *arrays, market.present)


def _up_to(ledger: Ledger, k: int) -> tuple:
    orders = ledger.orders[ledger.orders["step"] <= k]
    fills = ledger.fills[ledger.fills["step"] <= k]
    return ledger.equity[: k + 1], ledger.cash[: k + 1], ledger.exposed[: k + 1], orders, fills


def _same_prefix(a: Ledger, b: Ledger, k: int) -> None:
    assert a.signals is not None and b.signals is not None and a.signals.keys() == b.signals.keys()
    for path in a.signals:  # every strategy's decisions up to k: present, direction, strength
        for x, y in zip(a.signals[path], b.signals[path], strict=True):
            np.testing.assert_array_equal(x[: k + 1][a.signals[path][0][: k + 1]],
                                          y[: k + 1][b.signals[path][0][: k + 1]])
    for x, y in zip(_up_to(a, k), _up_to(b, k), strict=True):
        assert x.shape == y.shape
        if x.dtype.names:
            for name in x.dtype.names:
                np.testing.assert_array_equal(x[name], y[name])
        else:
            np.testing.assert_array_equal(x, y)


def _check(prepared, market, k: int, seed: int) -> None:
    """Runs on `market` and on it with every price after step k changed agree up to k, in both engines."""
    original = prepared.market
    try:
        prepared.market = market
        before = run_prepared(prepared, signals=True)
        prepared.market = _perturbed(market, k, seed)
        after = run_prepared(prepared, signals=True)
        _same_prefix(before, after, k)
        reference = run_reference(prepared.analysis, prepared.market, list(prepared.params()))
        _same_prefix(before, reference, k)
    finally:
        prepared.market = original


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["combined", "two_books", "operators", "sized", "orders", "participation"]),
       k=st.integers(0, 240),
       seed=st.integers(0, 2**32 - 1))
def test_later_prices_never_change_the_past(shapes, name, k, seed):  # noqa: F811
    _check(shapes[name], shapes[name].market, k, seed)


@settings(max_examples=16, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["cross", "xsection", "timeframes"]), k=st.integers(0, 240), seed=st.integers(0, 2**32 - 1),
       holes=st.sampled_from([0.0, 0.2]))
def test_reads_across_symbols_never_see_later_prices(shapes, name, k, seed, holes):  # noqa: F811
    """`name@SYMBOL` and the cross-sectional operators, with some symbols' bars missing."""
    _check(shapes[name], _random_market(shapes[name].market, seed, holes), k, seed)
