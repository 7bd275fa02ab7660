"""The emitter of series containers (feature, classifier, strategy): settings, then one event per (t, s)."""

from __future__ import annotations

from collections.abc import Callable

from flowc.compiler import components as comp
from flowc.compiler.codegen.context import Context, RoleEmitter
from flowc.compiler.codegen.contract import Fields, StateSize, Steps, Symbols
from flowc.compiler.codegen.expr import expr, presence, step_calls
from flowc.compiler.ir import Replay
from flowc.compiler.plan import NodePlan
from flowc.compiler.schema import Roles


def buffers(ctx: Context, node: NodePlan) -> None:
    if node.path not in ctx.layout.local:  # written at every (t, s), present or not
        ctx.buffer(f"out_{node.ident}", (Steps(), Symbols(), Fields(len(node.fields))), "f8", None,
                   prefix=node.hoisted)
        ctx.buffer(f"pres_{node.ident}", (Steps(), Symbols()), "bool", None, prefix=node.hoisted)
    signal = node.container.setting("signal")
    if signal is not None and isinstance(signal.expr, Replay):
        k = signal.expr.index
        ctx.buffer(f"rp{k}_present", (Steps(), Symbols()), "bool", False, source=f"replay:{k}:present")
        ctx.buffer(f"rp{k}_values", (Steps(), Symbols(), Fields(2)), "f8", float("nan"), source=f"replay:{k}:values")
    state_buffers(ctx, node)


def state_buffers(ctx: Context, node: NodePlan) -> None:
    """The state of each component call of the container's settings: `[S, size]` floats."""
    for state in node.states:
        contract = comp.series_component(state.component)
        ring = state.size_slot is not None and contract in comp.BUILTIN and contract.state.arg is not None
        size = StateSize(state.size_slot.index if state.size_slot else None, state.size_extra, ring, state.size_per)
        ctx.buffer(f"st_{node.ident}_{state.instance}", (Symbols(), size), "f8", 0.0, prefix=node.hoisted)


def settings(ctx: Context, node: NodePlan) -> Callable[[frozenset], str]:
    """Evaluate the container's settings at (t, s) into `v_<name>`, each where its reads are present
    (docs/semantics.md, section 4); returns the test of presence of a set of reads."""
    w = ctx.w
    inputs = {(i.event, i.source): f"in_{k}" for k, i in enumerate(node.inputs) if not any(
        e.feedback for e in i.edges)}
    union = frozenset().union(*(s.reads for s in node.container.settings))
    for k, item in enumerate(node.inputs):
        if (item.event, item.source) in union and f"in_{k}" in inputs.values():
            w(f"in_{k} = {presence(ctx, item)}")

    def condition(reads: frozenset) -> str:  # a setting that reads nothing runs at every (t, s)
        return " and ".join(inputs[r] for r in sorted(reads, key=str)) if reads else "True"

    for setting in node.container.settings:
        if isinstance(setting.expr, Replay):
            continue
        test = condition(setting.reads)
        if test == "True":  # reads no input: computed at every (t, s)
            step_calls(ctx, setting.expr, node)
            w(f"v_{setting.name} = {expr(ctx, setting.expr, node)}")
            continue
        w(f"v_{setting.name} = np.nan")
        w(f"if {test}:")
        with w.indent():
            step_calls(ctx, setting.expr, node)
            w(f"v_{setting.name} = {expr(ctx, setting.expr, node)}")
    return condition


def body(ctx: Context, node: NodePlan) -> None:
    """The work of one series container for one (t, s)."""
    settings_ = node.container.settings
    condition = settings(ctx, node)
    union = frozenset().union(*(s.reads for s in settings_))
    trigger = condition(union)
    if node.role == Roles.STRATEGY:
        signal = node.container.setting("signal")
        active = node.container.setting("active")
        assert signal is not None
        replay = signal.expr.index if isinstance(signal.expr, Replay) else None
        test = condition(signal.reads) if replay is None else f"rp{replay}_present[t, s]"
        if active is not None:
            ctx.kernels.add("truthy_nb")
            test = "truthy_nb(v_active)" if test == "True" else f"({test}) and truthy_nb(v_active)"
        if replay is None:
            ctx.kernels.add("sign_nb")
            values = ("sign_nb(v_signal)", "abs(v_signal) if v_signal == v_signal else 0.0")
        else:
            values = (f"rp{replay}_values[t, s, 0]", f"rp{replay}_values[t, s, 1]")
        output(ctx, node, test, values)
        return
    output(ctx, node, trigger, tuple(f"v_{name}" for name in node.fields))


def output(ctx: Context, node: NodePlan, test: str, values: tuple[str, ...]) -> None:
    """Send the event when `test` holds: into locals of the fused prefix, or into the output buffers."""
    w, x, row = ctx.w, node.ident, ctx.row(node)
    if node.path in ctx.layout.local:
        w(f"pr_{x} = {test}")
        for k, value in enumerate(values):
            w(f"o_{x}_{k} = {value} if pr_{x} else np.nan")
        return
    if test == "True":  # present at every (t, s)
        for k, value in enumerate(values):
            w(f"out_{x}[{row}, s, {k}] = {value}")
        w(f"pres_{x}[{row}, s] = True")
        return
    w(f"if {test}:")
    with w.indent():
        for k, value in enumerate(values):
            w(f"out_{x}[{row}, s, {k}] = {value}")
        w(f"pres_{x}[{row}, s] = True")
    w("else:")
    with w.indent():
        for k in range(len(values)):
            w(f"out_{x}[{row}, s, {k}] = np.nan")
        w(f"pres_{x}[{row}, s] = False")


EMITTER = RoleEmitter(buffers=buffers, symbol=body)
