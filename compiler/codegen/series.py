"""The emitter of series containers (feature, classifier, strategy): settings, then one event per (t, s)."""

from __future__ import annotations

from flowc.compiler import components as comp
from flowc.compiler.codegen.context import Context, RoleEmitter
from flowc.compiler.codegen.contract import Fields, StateSize, Steps, Symbols
from flowc.compiler.codegen.expr import BAR_ARRAYS, expr, presence, section_column, step_calls
from flowc.compiler.ir import TIMEFRAME_KINDS, Expr, Replay, cross_sections
from flowc.compiler.plan import NodePlan
from flowc.compiler.schema import BAR_FIELDS, Events, Roles

GATE = "coarse"  # the key of a timeframe's gate among the presence locals of `settings`
COARSE_STATE = 14  # `coarse_bar_nb`'s state: the bar being built, then the last one finished


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
    if node.container.timeframe is not None:  # the coarse bar being built and the last coarse step's event
        ctx.buffer(f"tf_{node.ident}", (Symbols(), Fields(COARSE_STATE)), "f8", 0.0, prefix=node.hoisted)
        ctx.buffer(f"hold_{node.ident}", (Symbols(), Fields(len(node.fields) + 1)), "f8", 0.0, prefix=node.hoisted)
    if across(node):  # the values passed between its loops over the symbols (`staged`)
        n = sum(len(cross_sections(s.expr)) for s in node.container.settings)
        ctx.buffer(f"xv_{node.ident}", (Fields(len(node.container.settings)), Symbols()), "f8", None)
        ctx.buffer(f"xa_{node.ident}", (Fields(n), Symbols()), "f8", None)
        ctx.buffer(f"xr_{node.ident}", (Fields(n), Symbols()), "f8", None)
    state_buffers(ctx, node)


def state_buffers(ctx: Context, node: NodePlan) -> None:
    """The state of each component call of the container's settings: `[S, size]` floats."""
    for state in node.states:
        contract = comp.series_component(state.component)
        ring = state.size_slot is not None and contract in comp.BUILTIN and contract.state.arg is not None
        size = StateSize(state.size_slot.index if state.size_slot else None, state.size_extra, ring, state.size_per)
        ctx.buffer(f"st_{node.ident}_{state.instance}", (Symbols(), size), "f8", 0.0, prefix=node.hoisted)


def body(ctx: Context, node: NodePlan) -> None:
    """The work of one series container for one (t, s)."""
    _emit(ctx, node, settings(ctx, node))


def settings(ctx: Context, node: NodePlan) -> dict:
    """Evaluate the container's settings at (t, s) into `v_<name>`, each where its reads are present
    (docs/semantics.md, section 4); the inputs' presence locals by input key. With a timeframe, the
    settings run only where a coarse bar is seen, and read it as their BAR (section 4a)."""
    inputs = _presences(ctx, node)
    if node.container.timeframe is not None:
        _coarse_bar(ctx, node, inputs)
    for setting in node.container.settings:
        if not isinstance(setting.expr, Replay):
            _setting(ctx, node, setting.expr, f"v_{setting.name}", setting.reads, inputs)
    return inputs


def _presences(ctx: Context, node: NodePlan) -> dict:
    """Whether each input the settings read is present at (t, s), in locals `in_k`; the input keys' names."""
    inputs = {(i.event, i.source): f"in_{k}" for k, i in enumerate(node.inputs) if not any(
        e.feedback for e in i.edges)}
    union = frozenset().union(*(s.reads for s in node.container.settings))
    for k, item in enumerate(node.inputs):
        if (item.event, item.source) in union and f"in_{k}" in inputs.values():
            ctx.w(f"in_{k} = {presence(ctx, item)}")
    return inputs


def _coarse_bar(ctx: Context, node: NodePlan, inputs: dict) -> None:
    """`coarse_<x>`: whether a coarse bar of the symbol is seen at (t, s), after adding this step's bar to it.

    Every setting then runs only where one is seen (`_condition` puts the gate first).
    """
    x, tf = node.ident, node.container.timeframe
    assert tf is not None and not across(node), "FL514: no cross-sectional operator in a container with a timeframe"
    bar = next(item for item in node.inputs if item.event == Events.BAR)
    ctx.kernels.add("coarse_bar_nb")
    time = "0.0" if tf.kind == "every" else "bar_time[t]"
    fields = ", ".join(f"{BAR_ARRAYS[f]}[t, s]" for f in BAR_FIELDS)
    ctx.w(f"coarse_{x} = False")
    ctx.w(f"if {presence(ctx, bar)}:")
    with ctx.w.indent():
        ctx.w(f"coarse_{x} = coarse_bar_nb(tf_{x}[s], {TIMEFRAME_KINDS.index(tf.kind)}, {tf.n}, {time}, {fields})")
    inputs[GATE] = f"coarse_{x}"


def _condition(inputs: dict, reads: frozenset) -> str:  # a setting that reads nothing runs at every (t, s)
    gate = [inputs[GATE]] if GATE in inputs else []  # a container with a timeframe: where a coarse bar is seen
    terms = gate + [inputs[r] for r in sorted(reads, key=str)]
    return " and ".join(terms) if terms else "True"


def _setting(ctx: Context, node: NodePlan, e: Expr, target: str, reads: frozenset, inputs: dict) -> None:
    """`target = e` where the reads are present, else NaN."""
    w = ctx.w
    test = _condition(inputs, reads)
    if test == "True":  # reads no input: computed at every (t, s)
        step_calls(ctx, e, node)
        w(f"{target} = {expr(ctx, e, node)}")
        return
    w(f"{target} = np.nan")
    w(f"if {test}:")
    with w.indent():
        step_calls(ctx, e, node, every_bar=_every_bar(node, inputs, reads))
        w(f"{target} = {expr(ctx, e, node)}")


def _every_bar(node: NodePlan, inputs: dict, reads: frozenset) -> bool:
    """Whether a setting runs at every bar of its symbol: it reads only its BAR input, unguarded, at the
    data's own steps (no timeframe)."""
    bar = node.input(Events.BAR)
    return (GATE not in inputs and bar is not None and reads == {(Events.BAR, bar.source)}
            and all(edge.guards is None for edge in bar.edges))


def _emit(ctx: Context, node: NodePlan, inputs: dict) -> None:
    """The event of (t, s) from the settings' values `v_<name>`."""
    settings = node.container.settings
    union = frozenset().union(*(s.reads for s in settings)) if settings else frozenset()
    trigger = _condition(inputs, union)
    if node.role == Roles.STRATEGY:
        signal = node.container.setting("signal")
        active = node.container.setting("active")
        assert signal is not None
        replay = signal.expr.index if isinstance(signal.expr, Replay) else None
        test = _condition(inputs, signal.reads) if replay is None else f"rp{replay}_present[t, s]"
        if active is not None:
            ctx.kernels.add("truthy_nb")
            test = "truthy_nb(v_active)" if test == "True" else f"({test}) and truthy_nb(v_active)"
        if replay is None:
            ctx.kernels.add("sign_nb")
            values = ("sign_nb(v_signal)", "abs(v_signal) if v_signal == v_signal else 0.0")
        else:
            values = (f"rp{replay}_values[t, s, 0]", f"rp{replay}_values[t, s, 1]")
        _send(ctx, node, inputs, test, values)
        return
    _send(ctx, node, inputs, trigger, tuple(f"v_{name}" for name in node.fields))


def _send(ctx: Context, node: NodePlan, inputs: dict, test: str, values: tuple[str, ...]) -> None:
    """`output`, or with a timeframe the event of the latest step a coarse bar was seen, kept in `hold`."""
    if GATE not in inputs:
        output(ctx, node, test, values)
        return
    w, x, n = ctx.w, node.ident, len(values)
    w(f"if {inputs[GATE]}:")
    with w.indent():
        w(f"hold_{x}[s, {n}] = 1.0 if {test} else 0.0")
        for k, value in enumerate(values):
            w(f"hold_{x}[s, {k}] = ({value}) if hold_{x}[s, {n}] != 0.0 else np.nan")
    output(ctx, node, f"hold_{x}[s, {n}] != 0.0", tuple(f"hold_{x}[s, {k}]" for k in range(n)))


def across(node: NodePlan) -> bool:
    """Whether the container computes across the symbols (`cs_rank`, `top`, ...): `staged` emits it."""
    return any(cross_sections(s.expr) for s in node.container.settings)


def staged(ctx: Context, node: NodePlan) -> None:
    """One step of a container with cross-sectional operators (docs/semantics.md, section 5a).

    Setting by setting in loops over the symbols: each cross-sectional operator's argument for
    every symbol (`xa`), the operator across them (`xr`), then the rest of its setting. Values
    pass between the loops in `xv`. Component calls touch disjoint states, so their order across
    symbols changes nothing.
    """
    w, x = ctx.w, node.ident
    assert not node.hoisted, "a container computing across the symbols runs in the step loop"
    done: list[tuple[str, int]] = []

    def begin() -> dict:
        w("for s in range(S):")
        w.depth += 1
        inputs = _presences(ctx, node)
        for name, k in done:
            w(f"v_{name} = xv_{x}[{k}, s]")
        return inputs

    inputs = begin()
    for k, setting in enumerate(node.container.settings):
        if isinstance(setting.expr, Replay):
            continue
        sections = cross_sections(setting.expr)
        if sections:
            for section in sections:
                _setting(ctx, node, section.arg, f"xa_{x}[{section_column(node, section)}, s]", setting.reads,
                         inputs)
            w.depth -= 1
            for section in sections:
                col, name = section_column(node, section), f"{section.op}_nb"
                ctx.kernels.add(name)
                n = "0" if section.n is None else f"int(p[{section.n.index}])"
                w(f"{name}(xa_{x}[{col}], {n}, xr_{x}[{col}])  # across the symbols")
            inputs = begin()
        _setting(ctx, node, setting.expr, f"v_{setting.name}", setting.reads, inputs)
        w(f"xv_{x}[{k}, s] = v_{setting.name}")
        done.append((setting.name, k))
    _emit(ctx, node, inputs)
    w.depth -= 1


def output(ctx: Context, node: NodePlan, test: str, values: tuple[str, ...]) -> None:
    """Send the event when `test` holds: into locals of the fused prefix, or into the output buffers.

    Where the prefix is inlined in the step loop (`program.inlines_prefix`), a container with
    buffers writes its locals there too when they hold every step (`whole`), for the ledger's signals.
    """
    w, x, row = ctx.w, node.ident, ctx.row(node)
    if ctx.in_locals(node.path):
        w(f"pr_{x} = {test}")
        for k, value in enumerate(values):
            w(f"o_{x}_{k} = {f'({value})' if ' if ' in value else value} if pr_{x} else np.nan")
        if node.path not in ctx.layout.local:
            w("if whole:")
            with w.indent():
                for k in range(len(values)):
                    w(f"out_{x}[t, s, {k}] = o_{x}_{k}")
                w(f"pres_{x}[t, s] = pr_{x}")
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
