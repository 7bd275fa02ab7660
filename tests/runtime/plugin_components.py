"""A user plugin for the tests: two components registered through the public API."""

import numpy as np
from numba import njit

from flowc.runtime.components import register_component


@njit(cache=True)
def spread_nb(state, x, y, n):
    """The n-bar mean of x - y: a running sum over a ring of the last n differences."""
    k = int(n)
    pos = int(state[0])
    d = x - y
    state[1] = state[1] + d - state[2 + pos]
    state[2 + pos] = d
    state[0] = (pos + 1) % k
    state[k + 2] = state[k + 2] + 1.0
    return state[1] / k if state[k + 2] >= k else np.nan


@njit(cache=True)
def above_nb(state, x, level):
    return 1.0 if x > level else -1.0


register_component(spread_nb, args=(("x", "series"), ("y", "series"), ("n", "window")), state=("n", 3),
                   warmup=("n", -1), summary="n-bar mean of x - y")
register_component(above_nb, role="strategy", args=(("x", "series"), ("level", "series")),
                   summary="+1 above the level, -1 otherwise")
