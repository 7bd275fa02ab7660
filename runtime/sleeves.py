"""Per-sleeve results: what each risk (strategy) container contributed to its portfolio.

Why a module of its own: a portfolio's fills name their sleeve (`FILL_DTYPE.risk`), and
everything a sleeve reports is derived from those fills and the market's closes after the run,
as trades are (`trades.py`), so no engine carries per-sleeve bookkeeping and every engine
reports the same. The definitions are docs/semantics.md's, section 9a:

- a sleeve's position in a symbol is the running sum of its fills' quantities, in record order
  (the portfolio's own position is the sum of its sleeves');
- its **contribution** at the end of step `t` starts at 0: minus `(q * price) * multiplier +
  commission` of each of its fills up to `t`, subtracted one by one in record order, then plus
  `(position * close) * multiplier` of each symbol it holds (in symbol order), `close` the
  symbol's last close up to `t`, `multiplier` 1.0 but for a futures contract (section 8b). A
  portfolio's sleeves sum to its P&L, `equity - cash0`, up to float rounding only (the same
  terms, added in another order) where the portfolio receives every bar;
- a step is **held** when some position is not 0.0 at its end; `exposure` counts them.
"""

from __future__ import annotations

import numpy as np


def sleeves_of(fills: np.ndarray, n_portfolios: int, n_risks: int) -> list[tuple[int, int]]:
    """The (portfolio, risk) pairs reported, in that order: with one portfolio every risk container (one
    whose orders reach no portfolio, FL403, with no fills), else each risk container with a fill in the portfolio."""
    if n_portfolios == 1:
        return [(0, r) for r in range(n_risks)]
    found = set(zip(fills["portfolio"].tolist(), fills["risk"].tolist(), strict=True))
    return sorted(found)


def held(fills: np.ndarray, n_steps: int) -> np.ndarray:
    """`[T]` bool: the fills' positions (summed per symbol in record order) are not all 0.0 at the end of each step."""
    open_symbols = np.zeros(len(fills), dtype=np.int64)  # the change in symbols held at each fill
    for s in np.unique(fills["symbol"]):
        mine = np.flatnonzero(fills["symbol"] == s)
        after = np.add.accumulate(fills["quantity"][mine]) != 0.0
        before = np.concatenate(([False], after[:-1]))
        open_symbols[mine] = after.astype(np.int64) - before
    count = np.concatenate(([0], np.cumsum(open_symbols)))  # symbols held after 0, 1, ... fills
    return count[np.searchsorted(fills["step"], np.arange(n_steps), side="right")] > 0


def contribution(fills: np.ndarray, last_close: np.ndarray, multiplier: np.ndarray) -> np.ndarray:
    """`[T]`: the sleeve's contribution at the end of each step (module docstring), from its fills in record
    order, `last_close[T, S]`, each symbol's last close up to each step, and each symbol's `multiplier`."""
    n_steps = len(last_close)
    steps = np.arange(n_steps)
    upto = np.searchsorted(fills["step"], steps, side="right")  # fills at or before each step
    paid = (fills["quantity"] * fills["price"]) * multiplier[fills["symbol"]] + fills["commission"]
    flows = np.subtract.accumulate(np.concatenate(([0.0], paid)))
    out = flows[upto]
    for s in np.unique(fills["symbol"]):
        mine = fills["symbol"] == s
        position = np.concatenate(([0.0], np.add.accumulate(fills["quantity"][mine])))
        now = position[np.searchsorted(fills["step"][mine], steps, side="right")]
        holding = now != 0.0
        out[holding] = out[holding] + (now[holding] * last_close[holding, s]) * multiplier[s]
    return out


def last_closes(close: np.ndarray, present: np.ndarray) -> np.ndarray:
    """`[T, S]`: each symbol's close at its latest bar up to each step (NaN before its first)."""
    rows = np.where(present, np.arange(len(close))[:, None], -1)
    latest = np.maximum.accumulate(rows, axis=0)
    found = np.take_along_axis(close, np.maximum(latest, 0), axis=0)
    return np.where(latest >= 0, found, np.nan)
