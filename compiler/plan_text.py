"""The plan as a reader sees it: `flowc compile --emit plan`, and the golden files of every example.

One block per container in schedule order: its role, whether it is hoisted (a whole-array
loop before the step loop) or stepped, its inputs with the routes that feed them and their
guards, its settings in source-like syntax (`fast_ma = sma(close, $fast)`: `$name` is a param's
slot, a number a literal's), its component state instances; then the slot table of the
parameter vector (slot, the param or literal it holds, its value in this compilation).

Unlike `Plan.structure()` (the compile cache's key, which never holds a number or a string of
the file), this text is for people and shows the values; it changes only when the plan does.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

from flowc.compiler.ir import (
    Apply,
    BinOp,
    Book,
    BoundGuard,
    CrossInput,
    CrossSection,
    DataConfig,
    Expr,
    Fee,
    Input,
    Level,
    Local,
    Replay,
    ReplaySpec,
    Slot,
    SymbolIs,
    UnOp,
)
from flowc.compiler.plan import InputPlan, NodePlan, Plan
from flowc.compiler.workflow import Analysis


def plan_text(plan: Plan, analysis: Analysis | None = None) -> str:
    """The readable text of a plan; with its analysis, literal and param values and symbol names too."""
    binding = analysis.binding if analysis is not None else None
    slots = list(binding.params.slots) if binding is not None else [(n, math.nan) for n in plan.param_names]
    values = dict(analysis.values) if analysis is not None else {}
    symbols = list(binding.symbol_literals) if binding is not None else []
    replays = list(binding.replays) if binding is not None else []
    text = _Text(plan.param_names, slots, symbols, replays)
    hoisted = sum(n.hoisted for n in plan.nodes)
    lines = [f"plan {plan.workflow}: {len(plan.nodes)} containers in schedule order, {hoisted} hoisted, "
             f"{len(plan.nodes) - hoisted} stepped; {len(plan.param_names)} slots"
             + ("" if plan.hoist else " (--no-hoist)")]
    for node in plan.nodes:
        lines.append("")
        lines.extend(text.node(node))
    lines.append("")
    lines.append("slots")
    for index, (name, literal) in enumerate(slots):
        if name is None:
            lines.append(f"  {index:>3}  {_number(literal)}")
        else:
            value = values.get(name)
            lines.append(f"  {index:>3}  ${name} = {_value(value) if value is not None else '(no value)'}")
    return "\n".join(lines) + "\n"


@dataclasses.dataclass
class _Text:
    names: Sequence[str | None]
    slots: Sequence[tuple[str | None, float]]
    symbols: Sequence[str]
    replays: Sequence[ReplaySpec]

    def node(self, node: NodePlan) -> list[str]:
        lines = [f"{node.index} {node.path}: {node.role}, {'hoisted' if node.hoisted else 'stepped'}"]
        lines.extend(f"    {self.input(i)}" for i in node.inputs)
        if (tf := node.container.timeframe) is not None:
            lines.append(f"    timeframe = {tf.kind}({tf.n if tf.kind in ('every', 'minutes') else ''})")
        lines.extend(f"    {s.name} = {self.expr(s.expr)}" for s in node.container.settings)
        if isinstance(node.container.config, DataConfig):
            for source in node.container.config.sources:
                args = ", ".join(f"{k} = {_value(v)}" for k, v in source.args.items())
                lines.append(f"    source = {source.kind}({args})")
            contract = node.container.config.contract
            if contract is not None:
                lines.append(f"    contract = future(multiplier = {self.expr(contract.multiplier)}, "
                             f"margin = {self.expr(contract.margin)})")
        elif node.container.config is not None:
            config = node.container.config
            for f in dataclasses.fields(config):
                value = getattr(config, f.name)
                if value is None or f.name.endswith(("_slot", "_yearly")):
                    continue
                if isinstance(value, Slot):  # a carry's rate says when it is yearly: `interest = 5 per year`
                    yearly = getattr(config, f"{f.name}_yearly", False)
                    lines.append(f"    {f.name} = {self.expr(value)}" + (" per year" if yearly else ""))
                elif isinstance(value, tuple | Fee):  # commission terms: `fixed(1) + percent(0.1)`
                    fees = value if isinstance(value, tuple) else (value,)
                    if fees:
                        lines.append(f"    {f.name} = " + " + ".join(map(self.fee, fees)))
                elif isinstance(value, Level):
                    lines.append(f"    {f.name} = {value.kind}" + (", each bar" if value.each_bar else ""))
                else:  # a choice, with its number if it takes one: `size = fixed(100)`
                    number = getattr(config, f"{f.name}_slot", None)
                    lines.append(f"    {f.name} = {value}" + (f"({self.expr(number)})" if number is not None else ""))
        for state in node.states:
            size = self.expr(state.size_slot) if state.size_slot is not None else "1"
            extra = f" + {state.size_extra}" if state.size_extra else ""
            lines.append(f"    state {state.instance}: {state.component}, {size}{extra} per symbol")
        return lines

    def input(self, i: InputPlan) -> str:
        edges = []
        for e in i.edges:
            edge = e.source + (" (feedback)" if e.feedback else "")
            if e.guards is not None:
                edge += f" when {self.guard(e.guards)}"
            edges.append(edge)
        return f"in {i.event}" + (f" of {i.source}" if i.source is not None else "") + " <- " + ", ".join(edges)

    def guard(self, guards: tuple[BoundGuard, ...]) -> str:
        """Alternatives (any may hold), each the terms that must hold and those that must not."""
        alternatives = []
        for g in guards:
            parts = [self.operand(e) for e in g.required] + [f"not {self.operand(e)}" for e in g.excluded]
            alternatives.append(" and ".join(parts) if parts else "true")
        return " or ".join(alternatives) if len(alternatives) == 1 else " or ".join(f"({a})" for a in alternatives)

    def fee(self, fee: Fee) -> str:
        """A commission term as written: `percent(0.1)`, `per_share_tiers([0, 500], [0.005, 0.003])`."""
        if fee.kind != "per_share_tiers":
            return f"{fee.kind}({self.expr(fee.rate)})"
        sizes = ", ".join(["0", *(self.expr(size) for size, _ in fee.tiers)])
        return f"{fee.kind}([{sizes}], [{', '.join(map(self.expr, fee.rates))}])"

    def expr(self, e: Expr) -> str:
        if isinstance(e, Slot):
            name = self.names[e.index]
            return f"${name}" if name is not None else _number(self.slots[e.index][1])
        if isinstance(e, Input):
            at = f"@{self.symbols[e.literal]}" if isinstance(e, CrossInput) and e.literal < len(self.symbols) else ""
            return (e.field if e.source is None else f"{e.source}.{e.field}") + at
        if isinstance(e, Local):
            return e.name
        if isinstance(e, Apply):
            return f"{e.component}({', '.join(self.expr(a) for a in e.args)})"
        if isinstance(e, BinOp):
            return f"{self.operand(e.left)} {e.op} {self.operand(e.right)}"
        if isinstance(e, UnOp):
            return f"{e.op}{' ' if e.op == 'not' else ''}{self.operand(e.operand)}"
        if isinstance(e, Book):
            return e.field
        if isinstance(e, SymbolIs):
            shown = _value(self.symbols[e.literal]) if e.literal < len(self.symbols) else f"#{e.literal}"
            return f"symbol {'!=' if e.negate else '=='} {shown}"
        if isinstance(e, Replay):
            if e.index < len(self.replays):
                spec = self.replays[e.index]
                return f"replay({_value(spec.path)}, strategy = {_value(spec.strategy)})"
            return f"replay(#{e.index})"
        if isinstance(e, CrossSection):
            return f"{e.op}({self.expr(e.arg)}{'' if e.n is None else ', ' + self.expr(e.n)})"
        raise TypeError(f"no text for {e!r}")

    def operand(self, e: Expr) -> str:
        text = self.expr(e)
        return f"({text})" if isinstance(e, BinOp | SymbolIs) else text


def _number(value: float) -> str:
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _value(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + "}"
    return str(value)
