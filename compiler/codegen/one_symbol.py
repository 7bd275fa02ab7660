"""The program specialised for one symbol: its per-symbol state in locals instead of arrays.

In the step loop a container's state of symbol `s` (`book_`, `pos_`, `pend_`, ...) lives in
arrays `[S]` or `[K, S]`. numba cannot prove that a store to one array leaves another unchanged,
so every read of that state loads it from memory again at every step. With one symbol each such
array holds one number (or K) for the whole run: kept in locals, loaded before the first step
and stored after the last, they stay in registers (1M bars x 1 symbol: about 15% of the run).

The decision is this module's alone: an array is kept in locals only where the program body
reads and writes it element by element (`name[s]`, `name[k, s]`, or `[0]` for `s`), never as a
whole (a kernel's argument, a prefix function's). Anything else stays an array, as in the
general program. The caller runs the specialised program only on one symbol (the program
checks it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flowc.compiler.codegen.contract import Buffer, Fields, Symbols

# an element of an array [S] or [K, S]: [s] or [0]; [k, s] or [k, 0] (with one symbol, s is 0)
_ELEMENT = {1: r"\[()(?:s|0)\]", 2: r"\[(\d+), (?:s|0)\]"}


def per_symbol(buffers: Iterable[Buffer]) -> list[tuple[str, int]]:
    """The buffers holding one number per symbol (`[S]`) or K per symbol (`[K, S]`), with their rank."""
    return [(b.name, len(b.shape)) for b in buffers if b.source is None and (
        b.shape == (Symbols(),) or (len(b.shape) == 2 and isinstance(b.shape[0], Fields) and b.shape[1] == Symbols()))]


def in_locals(lines: list[str], arrays: Iterable[tuple[str, int]]) -> tuple[list[str], list[str], list[str]]:
    """The lines with each array that qualifies read and written as locals; the loads and the stores.

    An array qualifies when every mention of it in `lines` is an element of it (not a row of `[K, S]`).
    """
    text = "\n".join(lines)
    loads: list[str] = []
    stores: list[str] = []
    for name, rank in arrays:
        element = re.compile(rf"\b{name}{_ELEMENT[rank]}")
        found = element.findall(text)
        if not found or len(found) != len(re.findall(rf"\b{name}\b", text)):
            continue
        for k in sorted(set(found)):
            local, index = (f"{name}_{k}_one", f"{k}, 0") if k else (f"{name}_one", "0")
            loads.append(f"{local} = {name}[{index}]")
            stores.append(f"{name}[{index}] = {local}")
        text = element.sub(lambda m, n=name: f"{n}_{m.group(1)}_one" if m.group(1) else f"{n}_one", text)
    return text.split("\n"), loads, stores
