"""The operators of `.flow` expressions with the language's undefined-value rules, for generated code.

NaN is *undefined*: arithmetic propagates it, division by zero gives it, a
comparison with it is false (`!=` too), and a value is true only when defined
and non-zero. Both operands are always evaluated (no short-circuit), so a
stateful component on the right of `and` still sees every bar.
"""

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def truthy_nb(x: float) -> bool:
    return x == x and x != 0.0


@njit(cache=True, inline="always", error_model="numpy")
def div_nb(a: float, b: float) -> float:
    return np.nan if b == 0.0 else a / b


@njit(cache=True, inline="always")
def lt_nb(a: float, b: float) -> float:
    return 1.0 if a < b else 0.0


@njit(cache=True, inline="always")
def le_nb(a: float, b: float) -> float:
    return 1.0 if a <= b else 0.0


@njit(cache=True, inline="always")
def gt_nb(a: float, b: float) -> float:
    return 1.0 if a > b else 0.0


@njit(cache=True, inline="always")
def ge_nb(a: float, b: float) -> float:
    return 1.0 if a >= b else 0.0


@njit(cache=True, inline="always")
def eq_nb(a: float, b: float) -> float:
    return 1.0 if a == b else 0.0


@njit(cache=True, inline="always")
def ne_nb(a: float, b: float) -> float:
    return 1.0 if (a == a and b == b and a != b) else 0.0


@njit(cache=True, inline="always")
def and_nb(a: float, b: float) -> float:
    return 1.0 if truthy_nb(a) and truthy_nb(b) else 0.0


@njit(cache=True, inline="always")
def or_nb(a: float, b: float) -> float:
    return 1.0 if truthy_nb(a) or truthy_nb(b) else 0.0


@njit(cache=True, inline="always")
def not_nb(a: float) -> float:
    return 0.0 if truthy_nb(a) else 1.0


@njit(cache=True)
def present_nb(present, t, s) -> bool:
    """Whether symbol s has a bar at step t; `present` is None where every symbol has every bar.

    numba compiles the program once for each kind of `present`: with None it drops the branch
    reading the array, so on complete data no step loads a presence flag (1M bars: about -1 ms).
    Not `inline="always"`: numba prunes the `is None` branch of a function's own argument, and
    LLVM inlines the compiled function anyway.
    """
    return True if present is None else present[t, s]


@njit(cache=True, inline="always")
def sign_nb(x: float) -> float:
    """Direction of a signal value: +1, -1, or 0 (also where undefined)."""
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    return 0.0


@njit(cache=True)
def grow_nb(table: np.ndarray, rows: int) -> np.ndarray:
    """A record table with room for at least `rows` rows, old rows copied.

    It grows eightfold while under a million rows, then twofold: few copies (each touches fresh
    pages), and little room never used once tables are large. The new rows stay unwritten
    (`np.empty`): the program writes a row before anything reads it, and pages never written
    cost nothing (1M bars: 3,100 -> 1,840 page faults a run, 26 -> 23 ms).
    """
    more = 8 if table.shape[0] < 1 << 20 else 2
    bigger = np.empty((max(more * table.shape[0], rows), table.shape[1]), dtype=table.dtype)
    for i in range(table.shape[0]):  # a loop, not a slice assignment: numba compiles it in a tenth of the time
        for j in range(table.shape[1]):
            bigger[i, j] = table[i, j]
    return bigger


@njit(cache=True)
def symbol_index_nb(symlit: np.ndarray, n: int) -> np.ndarray:
    """For each of the `n` symbol literals, the index of the symbol of that name (`name@SYMBOL`), or -1."""
    found = np.full(n, -1, np.int64)
    for s in range(symlit.shape[0]):
        if symlit[s] >= 0:
            found[symlit[s]] = s
    return found
