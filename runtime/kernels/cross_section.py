"""Cross-sectional operators for generated code: one value per symbol at one step (docs/semantics.md, 5a).

Each takes the argument of every symbol at the step (`values`, NaN where the symbol does not
take part: its setting did not run, or the argument is undefined) and writes every symbol's
result into `out` (NaN for those that do not take part). Sums run left to right in symbol order.
"""

import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy")
def _mean(values: np.ndarray) -> tuple[float, int]:
    total, m = 0.0, 0
    for s in range(values.shape[0]):
        if values[s] == values[s]:
            total = total + values[s]
            m += 1
    return (total / m if m > 0 else np.nan), m


@njit(cache=True, error_model="numpy")
def _defined(values: np.ndarray) -> np.ndarray:
    """The symbols whose value is defined, in symbol order."""
    found = np.empty(values.shape[0], dtype=np.int64)
    m = 0
    for s in range(values.shape[0]):
        if values[s] == values[s]:
            found[m] = s
            m += 1
    return found[:m]


@njit(cache=True, error_model="numpy")
def cs_rank_nb(values: np.ndarray, n: int, out: np.ndarray) -> None:
    """`c / m`, `c` the defined values at or below the symbol's: one sort and a binary search each."""
    defined = _defined(values)
    m = defined.shape[0]
    ordered = np.sort(values[defined])
    out[:] = np.nan
    for s in defined:
        out[s] = np.searchsorted(ordered, values[s], side="right") / m


@njit(cache=True, error_model="numpy")
def _ranked(values: np.ndarray, sign: float, n: int, out: np.ndarray) -> None:
    """1.0 for the `n` first symbols by `sign * value` descending, ties to the earlier symbol; else 0.0.

    The first `n` are kept in order while the symbols are read in symbol order (a later symbol
    displaces a kept one only if strictly better): O(S * n) a step, O(S) for a small `n`; from
    `SORT_FROM` on, a stable sort, O(S log S). Counting the symbols ranked before each was O(S^2).
    """
    defined = _defined(values)
    out[:] = np.nan
    for s in defined:
        out[s] = 0.0
    if n <= 0:
        return
    if n >= SORT_FROM:
        order = np.argsort(-sign * values[defined], kind="mergesort")
        for k in range(min(n, defined.shape[0])):
            out[defined[order[k]]] = 1.0
        return
    kept = np.empty(n, dtype=np.int64)
    size = 0
    for s in defined:
        x = sign * values[s]
        if size == n and not x > sign * values[kept[n - 1]]:
            continue
        k = min(size, n - 1)  # the slot it takes: after every kept one at least as good
        while k > 0 and x > sign * values[kept[k - 1]]:
            kept[k] = kept[k - 1]
            k -= 1
        kept[k] = s
        size = min(size + 1, n)
    for k in range(size):
        out[kept[k]] = 1.0


SORT_FROM = 64  # `top`/`bottom` counts from which a sort beats keeping the best in order


@njit(cache=True, error_model="numpy")
def top_nb(values: np.ndarray, n: int, out: np.ndarray) -> None:
    _ranked(values, 1.0, n, out)


@njit(cache=True, error_model="numpy")
def bottom_nb(values: np.ndarray, n: int, out: np.ndarray) -> None:
    _ranked(values, -1.0, n, out)


@njit(cache=True, error_model="numpy")
def demean_nb(values: np.ndarray, n: int, out: np.ndarray) -> None:
    mean, _ = _mean(values)
    for s in range(values.shape[0]):
        out[s] = values[s] - mean if values[s] == values[s] else np.nan


@njit(cache=True, error_model="numpy")
def cs_zscore_nb(values: np.ndarray, n: int, out: np.ndarray) -> None:
    mean, m = _mean(values)
    ss = 0.0
    for s in range(values.shape[0]):
        if values[s] == values[s]:
            d = values[s] - mean
            ss = ss + d * d
    sd = np.sqrt(ss / (m - 1)) if m >= 2 else np.nan
    for s in range(values.shape[0]):
        x = values[s]
        out[s] = np.nan if x != x or sd == 0.0 or sd != sd else (x - mean) / sd


@njit(cache=True, error_model="numpy")
def cs_weight_nb(values: np.ndarray, n: int, out: np.ndarray) -> None:
    a = 0.0
    for s in range(values.shape[0]):
        if values[s] == values[s]:
            a = a + abs(values[s])
    for s in range(values.shape[0]):
        x = values[s]
        out[s] = np.nan if x != x or a == 0.0 or a != a else x / a
