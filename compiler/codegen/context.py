"""What the emitters share while generating one program: the plan, its layout, the lines, the buffers.

Each role has one emitter (`RoleEmitter`), found by the role's name in `program.EMITTERS`: its
buffers, its setup before the first step, and its work at a step before the loop over the
symbols, per symbol and after it. Emitters write lines through `ctx.w` and declare buffers
with `ctx.buffer`; the kernels they name go into `ctx.kernels` for the module's imports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flowc.compiler.codegen.contract import COUNTERS, RECORDS, Buffer, Dim
from flowc.compiler.codegen.layout import Layout
from flowc.compiler.codegen.writer import Writer
from flowc.compiler.plan import NodePlan, Plan


@dataclass
class Context:
    plan: Plan
    layout: Layout
    w: Writer = field(default_factory=Writer)
    buffers: list[Buffer] = field(default_factory=list)
    kernels: set[str] = field(default_factory=set)
    one_symbol: bool = False  # the program runs on one symbol only (`one_symbol`)
    inline_prefix: bool = False  # the hoisted containers run at the top of each step (`program.inlines_prefix`)

    def ident(self, path: str) -> str:
        return self.plan.node(path).ident

    def buffer(self, name: str, shape: tuple[Dim, ...], dtype: str, fill: float | int | bool | None = 0,
               source: str | None = None, prefix: bool = False) -> str:
        self.buffers.append(Buffer(name, shape, dtype, fill, source, prefix))
        return name

    def row(self, node: NodePlan) -> str:
        """The row of step t in a series container's output buffers: a hoisted container's may hold one tile."""
        return "t - ob" if node.hoisted and not self.inline_prefix else "t"

    def in_locals(self, path: str) -> bool:
        """Whether a series container's events are read from locals (`o_`, `pr_`) rather than its buffers:
        those only its group of the prefix reads, and every hoisted one's where the prefix is inlined."""
        return path in self.layout.local or (self.inline_prefix and self.plan.node(path).hoisted)

    def event(self, node: NodePlan, k: int, symbol: str = "s") -> str:
        """Field k of a series container's event at (t, symbol)."""
        if self.in_locals(node.path):
            assert symbol == "s", "a container read at another symbol keeps its events in memory"
            return f"o_{node.ident}_{k}"
        return f"out_{node.ident}[{self.row(node)}, {symbol}, {k}]"

    def event_present(self, node: NodePlan) -> str:
        """Whether a series container sent an event at (t, s)."""
        return f"pr_{node.ident}" if self.in_locals(node.path) else f"pres_{node.ident}[{self.row(node)}, s]"

    def ev(self, name: str, slot: int | None = None) -> str:
        """An event a container passes to the next within one step and symbol: a local when they share
        the loop over the symbols (`Layout.fused`), else an element of a per-symbol buffer."""
        if self.layout.fused:
            return name if slot is None else f"{name}_{slot}"
        return f"{name}[s]" if slot is None else f"{name}[{slot}, s]"

    def record(self, kind: str, values: tuple[str, ...]) -> None:
        """Append one row to a record table (the step loop makes room for a step's rows at its top)."""
        w, counter = self.w, COUNTERS[kind]
        w(f"n = cnt[{counter}]")
        for k, (value, field_) in enumerate(zip(values, RECORDS[kind], strict=True)):
            w(f"{kind}{'_i' if field_ == 'i' else ''}[n, {k}] = {value}")
        w(f"cnt[{counter}] = n + 1")


Emit = Callable[[Context, NodePlan], None]


@dataclass(frozen=True)
class RoleEmitter:
    """The code of one role's containers; a part a role does not have is None."""

    buffers: Emit | None = None  # declare its buffers (`Context.buffer`)
    init: Emit | None = None  # before the first step
    before: Emit | None = None  # at each step, before the loop over the symbols
    symbol: Emit | None = None  # at each step, for symbol `s`
    after: Emit | None = None  # at each step, after the loop over the symbols
