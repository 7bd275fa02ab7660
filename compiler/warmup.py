"""The longest warm-up of a topology: how many bars pass before every series value can be defined.

A walk-forward test window is preceded by this many earlier bars, with no trading during them,
so its first bar trades on warmed-up features. Each component's contract gives its own warm-up
(`Sizing`: a window argument plus a constant, e.g. `sma(x, n)` is undefined for `n - 1` bars);
a call adds its own warm-up to the longest of its arguments' (`sma(returns(close), 20)` needs
1 + 19 bars); a name delivered by a route (a feature, a regime) carries the warm-up of the
setting that made it. Window arguments are read from the parameter vector of the point.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from flowc.compiler import components as comp
from flowc.compiler.ir import Apply, BinOp, CrossSection, Input, Local, Timeframe, UnOp
from flowc.compiler.plan import SERIES_ROLES, NodePlan, Plan
from flowc.compiler.schema import Events, Roles

PerPeriod = Callable[[Timeframe], int]  # the most bars of one symbol in one calendar period, from the data


def longest_warmup(plan: Plan, params: np.ndarray, per_period: PerPeriod | None = None) -> int:
    """The largest warm-up, in bars, of any setting of any feature, classifier, strategy or risk container."""
    return max(setting_warmups(plan, params, per_period=per_period).values(), default=0)


def setting_warmups(plan: Plan, params: np.ndarray, *, chained: bool = True,
                    per_period: PerPeriod | None = None) -> dict[tuple[str, str], int]:
    """The warm-up, in bars, of every setting of every feature, classifier, strategy and risk container,
    keyed by (container path, setting name): a setting is undefined on that many first bars.

    Without `chained`, only the setting's own calls count (what it reads from other settings and
    containers is taken as defined from the first bar): where a long warm-up comes from. A timeframe's
    calendar periods count `per_period(tf)` bars each, and one more period (`fine_bars`).
    """
    nodes = {n.path: n for n in plan.nodes}
    memo: dict[tuple[str, str], int] = {}

    def setting(node: NodePlan, name: str) -> int:
        key = (node.path, name)
        if key not in memo:
            memo[key] = 0  # a cycle cannot occur among settings; this only guards the recursion
            bound = node.container.setting(name)
            coarse = 0 if bound is None else expr(node, name, bound.expr)
            memo[key] = fine_bars(node.container.timeframe, coarse, per_period)
        return memo[key]

    def expr(node: NodePlan, name: str, e) -> int:
        if isinstance(e, Apply):
            own = _own(node.role, name, e, params)
            return own + max((expr(node, name, a) for a in e.args), default=0)
        if not chained and isinstance(e, Input | Local):
            return 0
        if isinstance(e, Input):
            source = nodes.get(e.source) if e.source is not None else None
            if source is None or source.role not in SERIES_ROLES:
                return 0
            field = e.field if e.event == Events.FEATURE else source.fields[0] if source.fields else e.field
            return setting(source, field)
        if isinstance(e, Local):
            return setting(node, e.name)
        if isinstance(e, BinOp):
            return max(expr(node, name, e.left), expr(node, name, e.right))
        if isinstance(e, UnOp):
            return expr(node, name, e.operand)
        if isinstance(e, CrossSection):
            return expr(node, name, e.arg)
        return 0

    return {(n.path, s.name): setting(n, s.name) for n in plan.nodes if n.role in (*SERIES_ROLES, Roles.RISK)
            for s in n.container.settings}


def fine_bars(tf: Timeframe | None, coarse: int, per_period: PerPeriod | None = None) -> int:
    """A warm-up of `coarse` coarse bars in the symbol's own bars: the coarse bar after them is seen at the close
    of its last bar (`every(n)`: bar (coarse + 1) * n - 1), a calendar one at the next period's first bar.

    With the data's `per_period`, an upper bound for a range cut anywhere: coarse + 2 periods of the most
    bars a period has (the first may be cut short). Without data, a calendar period is counted as on daily
    data (5 a week, 21 a month, 1 a day or shorter) and coarse + 1 of them: a lower bound elsewhere, so a
    window that never fills (FL612) is never claimed wrongly."""
    if tf is None:
        return coarse
    if tf.kind == "every":
        return (coarse + 1) * tf.n - 1
    if per_period is not None:
        return (coarse + 2) * per_period(tf)
    return (coarse + 1) * {"weekly": 5, "monthly": 21}.get(tf.kind, 1)


def _own(role: str, setting: str, call: Apply, params: np.ndarray) -> int:
    component = comp.lookup(role, setting, call.component)
    if component is None:
        return 0
    sizing = component.warmup
    if sizing.arg is None:
        return max(0, sizing.extra)
    fixed = [a.name for a in component.args if a.kind is not comp.Kind.SERIES]
    window = params[call.windows[fixed.index(sizing.arg)].index]
    return max(0, int(window) + sizing.extra)


def grid_warmup(plan: Plan, vectors: Iterable[np.ndarray], per_period: PerPeriod | None = None) -> int:
    """The longest warm-up over several points (their parameter vectors)."""
    return max((longest_warmup(plan, v, per_period) for v in vectors), default=0)
