"""Every component by name (`COMPONENTS`), and user components run as their author wrote them.

Implements `docs/semantics.md`, section 5 (Components): the table of the built-in components
(`windowed`, `recursive`, `operators`, `calendar_fields`) and the registered user kernels.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from flowc.compiler.components import series_component
from flowc.runtime.components import kernel_of
from flowc.runtime.reference.calendar_fields import FIELDS, PERIODS, NewPeriod, when
from flowc.runtime.reference.operators import (
    BarIndex,
    Cross,
    Diff,
    Hold,
    PctChange,
    Shift,
    crossover,
    mean_reversion,
    op_abs,
    op_clip,
    op_exp,
    op_log,
    op_max,
    op_min,
    op_sign,
    op_sqrt,
    op_where,
    threshold_regime,
)
from flowc.runtime.reference.recursive import Atr, Ema, Returns, Rsi
from flowc.runtime.reference.windowed import (
    Breakout,
    Highest,
    Lowest,
    Momentum,
    Pairs,
    Rank,
    RollingSum,
    Sma,
    Stdev,
    Zscore,
)

Component = Callable[..., float]

COMPONENTS: dict[str, Callable[[], Component]] = {
    "sma": Sma, "ema": Ema, "rsi": Rsi, "stdev": Stdev, "returns": Returns, "atr": Atr,
    "zscore": Zscore, "highest": Highest, "lowest": Lowest, "momentum": Momentum,
    "breakout": Breakout,
    "threshold_regime": lambda: threshold_regime,
    "crossover": lambda: crossover,
    "mean_reversion": lambda: mean_reversion,
    "shift": Shift, "diff": Diff, "pct_change": PctChange,
    "log": lambda: op_log, "exp": lambda: op_exp, "sqrt": lambda: op_sqrt, "abs": lambda: op_abs,
    "sign": lambda: op_sign, "min": lambda: op_min, "max": lambda: op_max, "clip": lambda: op_clip,
    "where": lambda: op_where,
    "sum": RollingSum, "rank": Rank, "cov": lambda: Pairs(False), "corr": lambda: Pairs(True),
    "cross_above": lambda: Cross(True), "cross_below": lambda: Cross(False), "hold": Hold,
    "bar_index": BarIndex,
    **{name: (lambda f=f: lambda time: f(when(time))) for name, f in FIELDS.items()},
    **{f"new_{period}": (lambda p=period: NewPeriod(p)) for period in PERIODS},
}
"""Each component by name: a factory of fresh (zero) state, called with the `Apply` arguments in order."""


class _UserKernel:
    """A component registered from Python: its kernel's pure-Python form (`py_func`) on a zero state.

    User components have no second definition to hold them to; they run here exactly as the user wrote them.
    """

    def __init__(self, name: str):
        contract = series_component(name)
        assert contract is not None
        self.function = kernel_of(name).py_func
        self.sizing = contract.state
        names = [a.name for a in contract.args]
        self.window = len(contract.reads) + names.index(self.sizing.arg) if self.sizing.arg else None
        self.state: np.ndarray | None = None

    def __call__(self, *args: float) -> float:
        if self.state is None:
            size = self.sizing.extra + (self.sizing.per * int(args[self.window]) if self.window is not None else 0)
            self.state = np.zeros(max(0, size))
        return float(self.function(self.state, *args))


def new_component(name: str) -> Component:
    factory = COMPONENTS.get(name)
    return factory() if factory is not None else _UserKernel(name)
