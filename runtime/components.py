"""The Python API for user components: register a numba kernel under a name, call it from `.flow` files.

A `.flow` file can only call registered components, never run code of its
own. A user component follows the same protocol as the standard library
(`flowc/runtime/kernels`): one call per bar of one symbol,

    @njit(cache=True)
    def spread_nb(state, x, y, n):   # state: this symbol's float64 row, zeros at the start
        ...
        return value                  # float64; NaN means undefined

and it must be a top-level function of an importable module, because the
generated program imports it by name. The reference engine runs the same
function's pure-Python form (`py_func`), so both engines agree by construction.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from flowc.compiler import components as comp
from flowc.compiler.components import Arg, Component, Kind, Sizing
from flowc.compiler.schema import Roles

_KINDS = {"series": Kind.SERIES, "window": Kind.WINDOW, "number": Kind.NUMBER}


def register_component(kernel, *, name: str | None = None, role: str = Roles.FEATURE,
                       args: Sequence[tuple[str, str]] = (("x", "series"), ("n", "window")),
                       reads: Sequence[str] = (), state: int | tuple[str, int] = 0,
                       warmup: int | tuple[str, int] = 0, summary: str = "", definition: str = "") -> Component:
    """Register `kernel` (a numba `@njit` function) as a component callable in `.flow` files.

    - `name`: the name in `.flow` files; by default the function's name without `_nb`.
    - `role`: `feature` (callable in feature, classifier and strategy settings), `classifier` or `strategy`.
    - `args`: `(name, kind)` pairs in call order; kinds are `series` (a per-bar value), `window`
      (a whole number of bars, known before the run) and `number` (a scalar known before the run).
    - `reads`: BAR fields passed implicitly before the arguments (`("high", "low", "close")`).
    - `state`: floats of state per symbol: a constant, or `(window_arg, extra)` for `int(arg) + extra`.
    - `warmup`: leading undefined bars, same encoding (used for walk-forward and `--start`).
    """
    module, function = getattr(kernel, "__module__", None), getattr(kernel, "__name__", None)
    if not hasattr(kernel, "py_func") or module is None or function is None:
        raise TypeError("a component kernel must be a numba @njit function")
    if getattr(importlib.import_module(module), function, None) is not kernel:
        raise ValueError(f"`{function}` must be a top-level function of the importable module `{module}`")
    if role not in comp.SERIES_ROLES:
        raise ValueError(f"role must be one of {sorted(comp.SERIES_ROLES)}, not {role!r}")
    component_name = name or (function[:-3] if function.endswith("_nb") else function)
    if not component_name.isidentifier():
        raise ValueError(f"{component_name!r} is not a valid component name")
    contract = Component(
        name=component_name, role=role, setting=comp.ANY_SETTING,
        args=tuple(Arg(arg, _KINDS[kind]) for arg, kind in args), summary=summary or function,
        definition=definition, reads=tuple(reads), state=_sizing(state), warmup=_sizing(warmup),
        kernel=f"{module}:{function}")
    comp.register(contract)
    return contract


def _sizing(value: int | tuple[str, int]) -> Sizing:
    return Sizing(None, value) if isinstance(value, int) else Sizing(value[0], value[1])


def kernel_of(name: str):
    """The numba function registered for a per-bar component."""
    contract = comp.series_component(name)
    if contract is None or contract.kernel is None:
        raise KeyError(name)
    module, function = contract.kernel.split(":")
    return getattr(importlib.import_module(module), function)


def load_plugins(names: Sequence[str]) -> None:
    """Import plugin modules (dotted names or `.py` paths) so that they register their components."""
    for name in names:
        if name.endswith(".py"):
            path = Path(name).resolve()
            sys.path.insert(0, str(path.parent))  # so the generated program can import it by name
            importlib.import_module(path.stem)
        else:
            importlib.import_module(name)
