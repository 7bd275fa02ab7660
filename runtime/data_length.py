"""Windows longer than the data: found before a run and said with the numbers, not a silent flat run.

A setting whose warm-up (`compiler.warmup`) is at least the bars a symbol has is undefined on every
bar. FL612 warns about each setting whose own windows make it so (not the settings that merely read
it); FL613 is an error when every strategy's signal is undefined on every bar, since then the run
can never trade. FL614 is an error for a walk-forward whose first train window leaves no bar to
test on. The memory side is the executor's: a ring never holds more slots than there are
steps (`executor.buffer_shape`).
"""

from __future__ import annotations

import numpy as np

from flowc.compiler.ir import Apply, BinOp, UnOp
from flowc.compiler.plan import Plan
from flowc.compiler.schema import Roles
from flowc.compiler.warmup import setting_warmups
from flowc.compiler.workflow import Analysis
from flowc.dsl import ast
from flowc.dsl.diagnostics import Diagnostic, diagnose
from flowc.runtime.data import MarketData

SHORTEN = "shorten the window, or select more data (--start, --end, --data)"


def window_problems(plan: Plan, params: np.ndarray, market: MarketData) -> list[Diagnostic]:
    """FL612 for each setting whose windows never fill within the data, or one FL613 if no signal ever can."""
    bars = int(market.present.sum(axis=0).max()) if market.n_symbols and market.n_steps else 0
    if bars == 0:
        return []
    full = setting_warmups(plan, params)
    own = setting_warmups(plan, params, chained=False)
    never = [key for key, w in full.items() if w >= bars]
    if not never:
        return []
    nodes = {n.path: n for n in plan.nodes}
    has = f"the data has {bars:,} bars" + (" (the most of any symbol)" if market.n_symbols > 1 else "")
    roots = [key for key in never if own[key] >= bars] or never

    def described(key: tuple[str, str]) -> str:
        bound = nodes[key[0]].container.setting(key[1])
        calls = _windows(bound.expr, plan, params) if bound is not None else []
        shown = f" ({', '.join(calls)})" if calls else ""
        return f"`{key[0]}.{key[1]}` is undefined for its first {full[key]:,} bars{shown}"

    def span(key: tuple[str, str]):
        bound = nodes[key[0]].container.setting(key[1])
        return bound.span if bound is not None else None

    signals = [(n.path, "signal") for n in plan.nodes if n.role == Roles.STRATEGY and (n.path, "signal") in full]
    if signals and all(key in never for key in signals):
        return [diagnose("FL613", span(roots[0]), SHORTEN,
                         detail=f"no signal is ever defined: {described(roots[0])}, and {has}")]
    return [diagnose("FL612", span(key), SHORTEN, detail=f"{described(key)}, and {has}: it is never defined")
            for key in roots]


def _windows(expr: object, plan: Plan, params: np.ndarray) -> list[str]:
    """`sma over 100,000 bars (slow)` for each windowed call of an expression, outermost first."""
    out: list[str] = []
    if isinstance(expr, Apply):
        for slot in expr.windows:
            name = plan.param_names[slot.index]
            out.append(f"{expr.component} over {params[slot.index]:,.0f} bars" + (f" from `{name}`" if name else ""))
        for arg in expr.args:
            out.extend(_windows(arg, plan, params))
    elif isinstance(expr, BinOp):
        out.extend(_windows(expr.left, plan, params) + _windows(expr.right, plan, params))
    elif isinstance(expr, UnOp):
        out.extend(_windows(expr.operand, plan, params))
    return out


def walk_forward_problem(analysis: Analysis, n_steps: int, first: int = 0) -> Diagnostic | None:
    """FL614 when the walk-forward's windows over the steps `[first, n_steps)` make no test window.

    A window needs `train` bars and at least one more to test on (`sweep.walk_forward.make_windows`).
    """
    wf = analysis.walk_forward
    if not wf:
        return None
    bars = n_steps - first
    if first + wf["train"] < n_steps:
        return None
    item = next((i for i in (analysis.workflow.items if analysis.workflow else ())
                 if isinstance(i, ast.WalkForward)), None)
    selected = " selected" if first else ""
    return diagnose("FL614", item.span if item is not None else None,
                    f"shorten `train` to less than {bars:,} bars, or select more data",
                    detail=f"`walk_forward train = {wf['train']:,}, test = {wf['test']:,}` needs more than "
                           f"{wf['train']:,} bars (the train window and at least one bar to test; "
                           f"{wf['train'] + wf['test']:,} for a whole test window), and the{selected} data has "
                           f"{bars:,} bars")
