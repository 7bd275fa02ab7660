"""Each symbol's contract (docs/semantics.md, section 8b): a stock, or the future its data container declares.

A data container's `contract = future(multiplier, margin)` makes every symbol it owns a futures
contract; the symbols of a container without one are stocks (multiplier 1.0, margin 0.0). Both
engines and the trade table read the same three arrays from here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from flowc.compiler.ir import BoundContainer, DataConfig


def has_futures(data: Sequence[BoundContainer]) -> bool:
    """Whether some data container declares a contract: without one, no engine runs futures code."""
    return any(isinstance(c.config, DataConfig) and c.config.contract is not None for c in data)


def symbol_contracts(data: Sequence[BoundContainer], owner: Sequence[int], params: Sequence[float]
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per symbol: 1.0 for a futures contract (else 0.0), its multiplier and its margin per contract.

    `data` are the data containers in schedule order and `owner[s]` the index in it of the one that
    owns symbol `s` (`runtime.manager.load_market`).
    """
    n = len(owner)
    future, multiplier, margin = np.zeros(n), np.ones(n), np.zeros(n)
    for s, k in enumerate(owner):
        config = data[k].config
        if isinstance(config, DataConfig) and config.contract is not None:
            future[s] = 1.0
            multiplier[s] = params[config.contract.multiplier.index]
            margin[s] = params[config.contract.margin.index]
    return future, multiplier, margin
