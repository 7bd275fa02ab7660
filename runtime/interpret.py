"""numba kernels run as plain Python: the same code, interpreted, for work too small to wait for a compile.

A numba kernel's Python function is its definition: `interpreted(kernel)` runs that function with
every kernel it calls interpreted too, so nothing compiles. The kernels this serves (trades and
metrics) are written as loops over doubles, which Python evaluates in the same IEEE arithmetic
and the same order as the machine code, so both forms give the same bits (`tests/runtime/
test_interpret.py` holds them to it). `in_process`, `on_disk` and `target_ready` tell what the
machine code would cost to have; `tiers` weighs that against interpreting.
"""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Callable, Iterator

import numpy as np
from numba.core.registry import CPUDispatcher

_INTERPRETED: dict[int, Callable] = {}


def interpreted(kernel: CPUDispatcher) -> Callable:
    """The kernel's Python function, calling the interpreted form of every kernel it calls."""
    done = _INTERPRETED.get(id(kernel))
    if done is not None:
        return done
    py = kernel.py_func
    namespace = dict(py.__globals__)
    function = types.FunctionType(py.__code__, namespace, py.__name__, py.__defaults__, py.__closure__)
    _INTERPRETED[id(kernel)] = quiet(function)
    for name in set(_names(py.__code__)):  # after registering, so a recursive kernel calls its own interpreted form
        callee = namespace.get(name)
        if isinstance(callee, CPUDispatcher):
            namespace[name] = interpreted(callee)
    return _INTERPRETED[id(kernel)]


def quiet(function: Callable) -> Callable:
    """numpy's scalars warn where the machine code silently gives inf or NaN (`error_model="numpy"`)."""

    def call(*args, **kwargs):
        with np.errstate(all="ignore"):
            return function(*args, **kwargs)

    call.__name__, call.__doc__, call.__wrapped__ = function.__name__, function.__doc__, function  # type: ignore
    return call


def _names(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):  # comprehensions and nested functions
            yield from _names(const)


Accepts = Callable[[tuple], bool]  # whether a signature (a tuple of numba types) is the one a run calls


def in_process(kernel: CPUDispatcher, accepts: Accepts | None = None) -> bool:
    """Whether the kernel's machine code is loaded in this process already (for a signature `accepts` takes)."""
    return any(accepts is None or accepts(signature) for signature in kernel.signatures)


def on_disk(kernel: CPUDispatcher, accepts: Accepts | None = None) -> bool:
    """Whether numba's on-disk cache holds the kernel's machine code (for a signature `accepts` takes).

    One kernel called with other argument types has one cache entry per signature (a program with
    `present` None or an array); the index lists them, and a stale index lists none.
    """
    try:
        cache = kernel._cache._cache_file
        index = cache._index_path
    except AttributeError:  # a numba that keeps its cache elsewhere: assume the compile is needed
        return False
    if not os.path.exists(index):
        return False
    if accepts is None:
        return True
    try:
        entries = cache._load_index()
    except Exception:  # an index numba cannot read is one it would recompile
        return False
    return any(accepts(key[0]) for key in entries)


def target_ready() -> bool:
    """Whether numba's CPU target is initialised in this process (it is before any machine code runs, once)."""
    return "numba.np.arraymath" in sys.modules  # the last of the registries its initialisation imports
