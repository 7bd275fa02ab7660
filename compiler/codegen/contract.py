"""The contract between a generated program and its callers: its arguments, their shapes, its records.

The executor (one run) and the sweep driver (many points in one call) both allocate the
program's buffers from what is written here, and nothing else: a buffer's shape is a tuple of
typed dimensions, resolved against the run's sizes and parameter vector by `Buffer.resolve`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

PREFIX_TILE = 16384  # symbol-steps per tile (`program.tiles`): a few hundred KiB of bars and outputs
MIN_TILE = 64  # steps per tile at least, however many symbols

# The record tables' rows, field by field: "i" a whole number, "f" a float (runtime/ledger.py's dtypes).
# A row is the ledger's record itself: the program writes whole numbers through an int64 view of the
# table, so the executor hands the rows on as structured records without a copy.
RECORDS = {
    "orders": ("i", "i", "f", "f", "i", "i"),  # step, symbol, quantity, price, risk, status
    "fills": ("i", "i", "f", "f", "f", "i", "i", "i"),  # step, symbol, quantity, price, commission, portfolio,
    # execution, risk (the sleeve)
}
COUNTERS = {"orders": 0, "fills": 1}  # the element of `cnt` counting a record table's rows

# The program's first arguments, in order, before its buffers: the market, the symbols' data
# source and literal, the parameter vector, the first step that trades, and whether the hoisted
# prefix's outputs of an earlier call stand.
MARKET_ARGS = ("bar_open", "bar_high", "bar_low", "bar_close", "bar_volume", "present", "owner", "symlit")
FIXED_ARGS = (*MARKET_ARGS, "p", "trade_from", "reuse_prefix")


def tile_steps(n_symbols: int) -> int:
    """Steps per tile of the generated program (`program.tiles`), given the number of symbols."""
    return max(MIN_TILE, PREFIX_TILE // max(n_symbols, 1))


@dataclass(frozen=True)
class Sizes:
    """What a run fixes of the buffers' shapes: its steps, symbols and portfolios, the records' room."""

    steps: int
    symbols: int
    portfolios: int
    capacity: Mapping[str, int]  # rows of each record table at the start (`RECORDS`)


# ---- dimensions of a buffer's shape ----


@dataclass(frozen=True)
class Steps:
    """One row per step (`T`); a hoisted output may hold one tile of them (`Buffer.resolve`)."""

    def size(self, sizes: Sizes, params: np.ndarray) -> int:
        return sizes.steps


@dataclass(frozen=True)
class Symbols:
    """One per symbol (`S`)."""

    def size(self, sizes: Sizes, params: np.ndarray) -> int:
        return sizes.symbols


@dataclass(frozen=True)
class Portfolios:
    """One per portfolio, in schedule order (`P`)."""

    def size(self, sizes: Sizes, params: np.ndarray) -> int:
        return sizes.portfolios


@dataclass(frozen=True)
class Fields:
    """A fixed count known when generating: fields of an event, ORDER inputs, fill slots."""

    n: int

    def size(self, sizes: Sizes, params: np.ndarray) -> int:
        return self.n


@dataclass(frozen=True)
class StateSize:
    """A component's state: `per * params[slot] + extra` elements (no slot: `extra`), never negative.

    A `ring` (the window of a standard windowed kernel, which wraps at its length) holds at most
    one slot per step: a longer window can never fill, and memory follows the data, not the
    window (`kernels.features._push`).
    """

    slot: int | None
    extra: int
    ring: bool = False
    per: int = 1  # elements per unit of the window: `per * window + extra` (two rings: `corr`, `cov`)

    def size(self, sizes: Sizes, params: np.ndarray) -> int:
        window = int(params[self.slot]) if self.slot is not None else 0
        if self.ring:
            window = min(window, max(1, sizes.steps))
        return max(0, self.per * window + self.extra)


@dataclass(frozen=True)
class Capacity:
    """The rows of a record table (`RECORDS`) at the start; the program grows it."""

    kind: str

    def size(self, sizes: Sizes, params: np.ndarray) -> int:
        return sizes.capacity[self.kind]


Dim = Steps | Symbols | Portfolios | Fields | StateSize | Capacity


@dataclass(frozen=True)
class Buffer:
    """An argument of the generated program, allocated by its caller."""

    name: str
    shape: tuple[Dim, ...]
    dtype: str  # "f8", "i8", "bool"
    fill: float | int | bool | None = 0  # None: the program writes every element before reading it
    source: str | None = None  # filled by the caller from its inputs (e.g. "replay:0:present"), not allocated
    prefix: bool = False  # written only by the hoisted prefix: reusable while the prefix's inputs are unchanged

    @property
    def param_shaped(self) -> bool:
        """Whether the shape depends on the parameter vector (a state sized by a param)."""
        return any(isinstance(d, StateSize) and d.slot is not None for d in self.shape)

    @property
    def tiled(self) -> bool:
        """Whether the buffer may hold one tile of steps instead of every step (a hoisted output)."""
        return self.prefix and bool(self.shape) and isinstance(self.shape[0], Steps)

    def resolve(self, sizes: Sizes, params: np.ndarray) -> tuple[int, ...]:
        """The shape of the buffer holding every step, in a run of these sizes and parameters."""
        return tuple(d.size(sizes, params) for d in self.shape)


@dataclass(frozen=True)
class Generated:
    source: str
    buffers: tuple[Buffer, ...]  # in argument order, after the fixed arguments (`FIXED_ARGS`)
    portfolios: tuple[str, ...]
    risks: tuple[str, ...]
    executions: tuple[str, ...]
    strategies: tuple[str, ...]
    prefix_slots: tuple[int, ...]  # the parameter slots the hoisted prefix reads
    reuses_prefix: bool = True  # whether a call may keep the hoisted outputs of the one before (`reuse_prefix`)
