"""Helpers the passes share: rewriting expressions, rebuilding a node, keys of equal computations.

Not a pass. The *key* of an expression is a hashable canonical form: equal keys mean the two
expressions compute the same value at every (step, symbol) *in the containers they were
keyed in*. Component instances are ignored, slots compare by param name or literal value,
earlier settings (`Local`) are expanded, and an input carries the routes that deliver it
(`InputPlan.edges`), so the same field of the same event means the same stream only where
it arrives by the same routes (same sources, same guards).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from flowc.compiler.ir import (
    Apply,
    BinOp,
    BoundSetting,
    CrossInput,
    Expr,
    Input,
    Local,
    Replay,
    Slot,
    SymbolIs,
    UnOp,
    reads,
    walk,
)
from flowc.compiler.optimize.context import Context
from flowc.compiler.plan import NodePlan, Plan
from flowc.compiler.schema import Events, Roles

InputKey = tuple[str, str | None]


def map_expr(e: Expr, fn: Callable[[Expr], Expr | None]) -> Expr:
    """Rewrite top-down: `fn` returns a replacement for a subtree (not descended into) or None."""
    new = fn(e)
    if new is not None:
        return new
    if isinstance(e, Apply):
        args = tuple(map_expr(a, fn) for a in e.args)
        return e if args == e.args else replace(e, args=args)
    if isinstance(e, BinOp):
        left, right = map_expr(e.left, fn), map_expr(e.right, fn)
        return e if (left, right) == (e.left, e.right) else replace(e, left=left, right=right)
    if isinstance(e, UnOp):
        operand = map_expr(e.operand, fn)
        return e if operand == e.operand else replace(e, operand=operand)
    return e


def applies(e: Expr) -> list[Apply]:
    return [n for n in walk(e) if isinstance(n, Apply)]


def inputs_of(e: Expr) -> list[Input]:
    return [n for n in walk(e) if isinstance(n, Input)]


def with_settings(node: NodePlan, settings: tuple[BoundSetting, ...]) -> NodePlan:
    """The node with new settings: reads recomputed in order, fields and states following."""
    done: dict[str, frozenset[InputKey]] = {}
    fresh = []
    for s in settings:
        needs = frozenset() if isinstance(s.expr, Replay) else reads(s.expr, done)
        done[s.name] = needs
        fresh.append(replace(s, reads=needs))
    settings = tuple(fresh)
    used = {a.instance for s in settings for a in applies(s.expr)}
    states = tuple(st for st in node.states if st.instance in used)
    fields = tuple(s.name for s in settings) if node.role == Roles.FEATURE else node.fields
    container = replace(node.container, settings=settings)
    return replace(node, container=container, fields=fields, states=states)


def with_nodes(plan: Plan, nodes: Iterable[NodePlan]) -> Plan:
    return replace(plan, nodes=tuple(nodes))


def edges_of(node: NodePlan, key: InputKey) -> tuple | None:
    """The routes that deliver the input `(event, source)` to `node` (None: no such input)."""
    return next((i.edges for i in node.inputs if (i.event, i.source) == key), None)


def streams(node: NodePlan, keys: Iterable[InputKey]) -> frozenset:
    """Input keys as the streams they are in `node`: (event, source, the routes delivering it)."""
    return frozenset((k[0], k[1], edges_of(node, k)) for k in keys)


class Keyer:
    """Keys of the expressions of one node (see the module docstring); None: never equal to anything."""

    def __init__(self, node: NodePlan, context: Context, *, across: bool):
        self.node = node
        self.context = context
        self.across = across  # keys compared with other containers' keys
        self.settings = {s.name: s for s in node.container.settings}
        self.memo: dict[str, tuple | None] = {}

    def local(self, name: str) -> tuple | None:
        if name not in self.memo:
            self.memo[name] = None  # settings only read earlier ones; this guards the recursion
            setting = self.settings.get(name)
            self.memo[name] = None if setting is None else self.key(setting.expr, setting.name)
        return self.memo[name]

    def key(self, e: Expr, setting: str) -> tuple | None:
        if isinstance(e, Slot):
            return self.context.slot_key(e)
        if isinstance(e, Input):
            if self.across and e.event == Events.PORTFOLIO:
                return None  # the position array changes within a step: only compare within a container
            at = e.literal if isinstance(e, CrossInput) else None  # `name@SYMBOL`: another symbol's value
            return ("input", e.event, e.source, e.field, at, edges_of(self.node, (e.event, e.source)))
        if isinstance(e, Local):
            return self.local(e.name)
        if isinstance(e, SymbolIs):
            return ("symbol", e.literal, e.negate)
        if isinstance(e, UnOp):
            inner = self.key(e.operand, setting)
            return None if inner is None else ("unop", e.op, inner)
        if isinstance(e, BinOp):
            left, right = self.key(e.left, setting), self.key(e.right, setting)
            return None if left is None or right is None else ("binop", e.op, left, right)
        if isinstance(e, Apply):
            if not self.context.pure(self.node.role, setting, e.component):
                return None
            args = tuple(self.key(a, setting) for a in e.args)
            windows = tuple(self.context.slot_key(w) for w in e.windows)
            return None if any(a is None for a in args) else ("apply", e.component, args, windows)
        return None  # Replay, and anything new: never shared
