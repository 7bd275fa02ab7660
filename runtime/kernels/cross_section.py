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
def _taking(values: np.ndarray) -> np.ndarray:
    """The symbols taking part (a defined value), in symbol order."""
    found = np.empty(values.shape[0], np.int64)
    m = 0
    for s in range(values.shape[0]):
        if values[s] == values[s]:
            found[m] = s
            m += 1
    return found[:m]


@njit(cache=True, error_model="numpy")
def cs_rank_nb(values: np.ndarray, n: int, out: np.ndarray) -> None:
    """`c / m`, `c` the values at or below the symbol's: an upper bound in the sorted values."""
    taking = _taking(values)
    ordered = np.sort(values[taking])
    m = taking.shape[0]
    out[:] = np.nan
    for s in taking:
        out[s] = np.searchsorted(ordered, values[s], side="right") / m


@njit(cache=True, error_model="numpy")
def _first(values: np.ndarray, n: int, out: np.ndarray, sign: float) -> None:
    """1.0 for the first `n` by `sign * value` descending, ties by symbol order (a stable sort), else 0.0."""
    taking = _taking(values)
    order = np.argsort(-sign * values[taking], kind="mergesort")
    out[:] = np.nan
    for rank in range(order.shape[0]):
        out[taking[order[rank]]] = 1.0 if rank < n else 0.0


@njit(cache=True, error_model="numpy")
def top_nb(values: np.ndarray, n: int, out: np.ndarray) -> None:
    _first(values, n, out, 1.0)


@njit(cache=True, error_model="numpy")
def bottom_nb(values: np.ndarray, n: int, out: np.ndarray) -> None:
    _first(values, n, out, -1.0)


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
