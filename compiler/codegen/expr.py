"""Expressions, guards and presence tests as source text, generic over the components.

An `Apply` is emitted from its component's contract (`compiler/components.py`): the kernel
`<component>_nb(state, *args)`, or, where its counters live in locals (`layout.registers`),
the step form called ahead of the expression (`step_calls`).
"""

from __future__ import annotations

from flowc.compiler import components as comp
from flowc.compiler.codegen.context import Context
from flowc.compiler.codegen.layout import counters, registers
from flowc.compiler.ir import (
    Apply,
    BinOp,
    Book,
    BoundGuard,
    CrossInput,
    CrossSection,
    Expr,
    Input,
    Local,
    Slot,
    SymbolIs,
    UnOp,
    cross_sections,
    walk,
)
from flowc.compiler.plan import InputPlan, NodePlan
from flowc.compiler.schema import Events, Roles

BAR_ARRAYS = {f: f"bar_{f}" for f in ("open", "high", "low", "close", "volume")}
OPS = {"/": "div_nb", "<": "lt_nb", "<=": "le_nb", ">": "gt_nb", ">=": "ge_nb", "==": "eq_nb", "!=": "ne_nb",
       "and": "and_nb", "or": "or_nb"}

BOOK = {  # a risk container's reads of its own book (docs/semantics.md, 6b); `{x}` its identifier
    "position": "seen_position_{x}[s]",
    "entry_price": "(entry_{x}[s] if book_{x}[s] != 0.0 else np.nan)",
    "bars_held": "(bars_{x}[s] if book_{x}[s] != 0.0 else 0.0)",
    "unrealised_pnl": "(book_{x}[s] * (last_close_{x}[s] - entry_{x}[s]) if book_{x}[s] != 0.0 else 0.0)",
    "equity": "seen_equity_{x}", "cash": "seen_cash_{x}", "drawdown": "seen_drawdown_{x}",
    "direction": "d", "strength": "strength",
}


ORDER_FIELDS = {"quantity": "ordq", "price": "ordpx", "level": "ordlv", "limit": "ordll"}  # risk's ORDER locals


def field(ctx: Context, item: Input) -> str:
    """The code reading one input field at (t, s): at symbol `xs[k]` for a `name@SYMBOL` (`symbol_index_nb`)."""
    if isinstance(item, CrossInput):
        x = f"xs[{item.literal}]"
        if item.event == Events.BAR:
            ctx.kernels.add("present_nb")
            return f"({BAR_ARRAYS[item.field]}[t, {x}] if present_nb(present, t, {x}) else np.nan)"
        source = ctx.plan.node(item.source)  # type: ignore[arg-type]
        return ctx.event(source, source.fields.index(item.field), x)
    if item.event == Events.BAR:
        return "bar_time[t]" if item.field == comp.TIME else f"{BAR_ARRAYS[item.field]}[t, s]"
    source = ctx.plan.node(item.source)  # type: ignore[arg-type]
    if item.event in (Events.FEATURE, Events.REGIME):
        return ctx.event(source, source.fields.index(item.field))
    if item.event == Events.SIGNAL:
        return ctx.event(source, ("direction", "strength").index(item.field))
    if item.event == Events.ORDER:
        return ctx.ev(f"{ORDER_FIELDS[item.field]}_{source.ident}")
    if item.event == Events.PORTFOLIO:
        if item.field == "position":
            return f"pos_{source.ident}[s]"
        return f"fb_{item.field}_{source.ident}"
    raise AssertionError(f"no field access for {item}")  # plan rejects FILL guards


def working_read(ctx: Context, node: NodePlan) -> str:
    """`working`: the quantities of the risk container's working orders for `s` (docs/semantics.md, 6b)."""
    return in_flight(ctx, node, pending=False)


def in_flight(ctx: Context, node: NodePlan, pending: bool = True) -> str:
    """The risk container's orders for `s` still at its executions as they stood at the end of the step
    before (the executions run after it): summed from 0.0 over its executions in schedule order, their
    ORDER inputs from it, the pending quantity (with `pending`) then the working one (docs/semantics.md, 6)."""
    kept = (("pend", pending), ("wq", node.container.config.working))  # type: ignore[union-attr]
    names = [name for name, used in kept if used]
    terms = [f"{name}_{x.ident}[{k}, s]" for x in ctx.plan.of_role(Roles.EXECUTION)
             for k, item in enumerate(x.inputs_of(Events.ORDER)) if item.source == node.path for name in names]
    return "(" + " + ".join(("0.0", *terms)) + ")"


def coarse_field(node: NodePlan, name: str) -> str:
    """A field of the last coarse bar finished, in `coarse_bar_nb`'s state: o, h, l, c, v, time at 8..13."""
    return f"tf_{node.ident}[s, {8 + (*BAR_ARRAYS, comp.TIME).index(name)}]"


def expr(ctx: Context, e: Expr, node: NodePlan | None) -> str:
    if isinstance(e, Slot):
        return f"p[{e.index}]"
    if isinstance(e, Input):
        if e.event == Events.BAR and node is not None and node.container.timeframe is not None:
            return coarse_field(node, e.field)
        return field(ctx, e)
    if isinstance(e, Local):
        return f"v_{e.name}"
    if isinstance(e, Book):
        assert node is not None
        return working_read(ctx, node) if e.field == "working" else BOOK[e.field].format(x=node.ident)
    if isinstance(e, SymbolIs):
        test = "!=" if e.negate else "=="
        return f"(1.0 if symlit[s] {test} {e.literal} else 0.0)" if e.literal >= 0 else "0.0"
    if isinstance(e, UnOp):
        inner = expr(ctx, e.operand, node)
        if e.op == "not":
            ctx.kernels.add("not_nb")
            return f"not_nb({inner})"
        return f"(-{inner})"
    if isinstance(e, BinOp):
        left, right = expr(ctx, e.left, node), expr(ctx, e.right, node)
        if e.op in OPS:
            ctx.kernels.add(OPS[e.op])
            return f"{OPS[e.op]}({left}, {right})"
        return f"({left} {e.op} {right})"
    if isinstance(e, CrossSection):  # computed across the symbols ahead of the setting (`series.staged`)
        assert node is not None
        return f"xr_{node.ident}[{section_column(node, e)}, s]"
    if isinstance(e, Apply):
        assert node is not None
        if registers(node, e):
            return f"a_{node.ident}_{e.instance}"  # called before the expression (`step_calls`)
        name = kernel_name(e.component, "nb")
        ctx.kernels.add(name)
        args = ", ".join(expr(ctx, a, node) for a in e.args)
        state = f"row_{node.ident}_{e.instance}" if node.hoisted else f"st_{node.ident}_{e.instance}[s]"
        return f"{name}({state}, {args})"
    raise AssertionError(e)


def section_column(node: NodePlan, section: CrossSection) -> int:
    """The row of a cross-sectional operator in its container's `xa` and `xr` buffers: its rank among them."""
    found = [c.index for s in node.container.settings for c in cross_sections(s.expr)]
    return found.index(section.index)


def step_calls(ctx: Context, e: Expr, node: NodePlan, every_bar: bool = False) -> None:
    """Call the step form of each component of `e` whose counters are registers, arguments first.

    Every call of an expression is made anyway (no short-circuit), and the calls of one
    container touch disjoint states, so calling them ahead of the expression changes nothing.
    Where `e` runs at every bar of its symbol (`every_bar`), a component with a form over a BAR
    field (`bar_step`) reads its own symbol's field in place of a ring when every bar is present.
    """
    for sub in reversed(list(walk(e))):
        if isinstance(sub, Apply) and registers(node, sub):
            value, names = f"a_{node.ident}_{sub.instance}", counters(node, sub)
            args = [expr(ctx, a, node) for a in sub.args]
            step = (f"{value}, {', '.join(names)} = {_kernel(ctx, sub.component, 'step')}("
                    f"{', '.join([f'row_{node.ident}_{sub.instance}', *names, *args])})")
            x = sub.args[0] if sub.args else None
            if not (every_bar and comp.series_component(sub.component).bar_step and _own_bar_field(x)):
                ctx.w(step)
                continue
            ctx.w("if present is None:  # every bar present: the value n bars ago is the field's n steps ago")
            with ctx.w.indent():  # the ring's position (the first counter) and the field (x) are not passed
                ctx.w(f"{value}, {', '.join(names[1:])} = {_kernel(ctx, sub.component, 'bar_step')}("
                      f"{', '.join([BAR_ARRAYS[x.field], 't', 's', *names[1:], *args[1:]])})")
            ctx.w("else:")
            with ctx.w.indent():
                ctx.w(step)


def _kernel(ctx: Context, component: str, form: str) -> str:
    name = kernel_name(component, form)
    ctx.kernels.add(name)
    return name


def _own_bar_field(x: Expr | None) -> bool:
    """Whether `x` is a field of the symbol's own bar (not the time, not another symbol's)."""
    return isinstance(x, Input) and not isinstance(x, CrossInput) and x.event == Events.BAR and x.field != comp.TIME


def guard(ctx: Context, guards: tuple[BoundGuard, ...] | None) -> str | None:
    if guards is None:
        return None
    ctx.kernels.add("truthy_nb")
    alternatives = []
    for g in guards:
        terms = [f"truthy_nb({expr(ctx, r, None)})" for r in g.required]
        terms += [f"not truthy_nb({expr(ctx, x, None)})" for x in g.excluded]
        alternatives.append(" and ".join(terms) if terms else "True")
    return " or ".join(f"({a})" for a in alternatives)


def presence(ctx: Context, item: InputPlan) -> str:
    """Whether an input is present at (t, s), with the routes' guards applied."""
    data = ctx.layout.data
    terms = []
    for edge in item.edges:
        if item.event == Events.BAR:
            ctx.kernels.add("present_nb")
            here = "present_nb(present, t, s)"
            base = here if len(data) == 1 else f"({here} and owner[s] == {data.index(edge.source)})"
        elif item.event == Events.ORDER:
            base = ctx.ev(f"ordp_{ctx.ident(edge.source)}")
        elif item.event == Events.PORTFOLIO:
            base = f"fb_present_{ctx.ident(edge.source)} != 0.0"
        else:
            base = ctx.event_present(ctx.plan.node(edge.source))
        g = guard(ctx, edge.guards)
        terms.append(f"({base} and ({g}))" if g else base)
    return " or ".join(terms) if len(terms) > 1 else terms[0]


# the kernels of `flowc.runtime.kernels.ops`
OPS_NAMES = {*OPS.values(), "truthy_nb", "sign_nb", "not_nb", "grow_nb", "symbol_index_nb", "present_nb"}
RENAMED = "k_"  # before a component's kernel whose name an operator of `ops` has (`sign`)


def kernel_name(component: str, form: str) -> str:
    """The name a component's kernel has in the generated module: `<component>_<form>`, unless `ops` has it."""
    name = f"{component}_{form}"
    return RENAMED + name if name in OPS_NAMES else name


def symbol_indices(ctx: Context, lines: list[str], at: int, indent: str) -> None:
    """Insert `xs = ...` (the symbols read as `name@SYMBOL`) at `lines[at]` if the lines read `xs[k]`."""
    if any("xs[" in line for line in lines):
        ctx.kernels.add("symbol_index_nb")
        lines.insert(at, f"{indent}xs = symbol_index_nb(symlit, {ctx.plan.n_symbol_literals})  # `name@SYMBOL`")
