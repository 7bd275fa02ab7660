"""Expression evaluation at one (step, symbol): parameters, inputs, settings, symbols, operators, components.

Implements `docs/semantics.md`, section 3 (Expressions).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from flowc.compiler.ir import (
    Apply,
    BinOp,
    Book,
    CrossInput,
    CrossSection,
    Expr,
    Input,
    InputKey,
    Local,
    Slot,
    SymbolIs,
    UnOp,
)
from flowc.runtime.reference.arithmetic import binop, truthy
from flowc.runtime.reference.components import Component, new_component

Record = dict[str, float]  # one event: its fields


@dataclass
class Scope:
    """What an expression sees at one (step, symbol)."""

    params: Sequence[float]
    symbol: str
    literals: Sequence[str]
    inputs: dict[InputKey, Record]  # the present inputs
    settings: dict[str, float] = field(default_factory=dict)  # the settings computed so far
    states: dict[int, Component] = field(default_factory=dict)  # component state by instance
    book: dict[str, float] = field(default_factory=dict)  # a risk container's book (docs/semantics.md, 6b)
    across: Callable[[CrossInput], float] | None = None  # `name@SYMBOL`: the value at that symbol, this step
    sections: dict[int, float] = field(default_factory=dict)  # a cross-sectional operator's value, by index


def evaluate(expr: Expr, scope: Scope) -> float:
    """One expression at one (step, symbol). Both operands always run: their components keep state."""
    if isinstance(expr, Slot):
        return scope.params[expr.index]
    if isinstance(expr, CrossInput):
        assert scope.across is not None
        return scope.across(expr)
    if isinstance(expr, Input):
        return scope.inputs[(expr.event, expr.source)][expr.field]
    if isinstance(expr, Local):
        return scope.settings[expr.name]
    if isinstance(expr, Book):
        return scope.book[expr.field]
    if isinstance(expr, SymbolIs):
        return 1.0 if (scope.symbol == scope.literals[expr.literal]) != expr.negate else 0.0
    if isinstance(expr, UnOp):
        v = evaluate(expr.operand, scope)
        return -v if expr.op == "-" else 0.0 if truthy(v) else 1.0
    if isinstance(expr, CrossSection):  # computed across the symbols before the setting (`Series`)
        return scope.sections[expr.index]
    if isinstance(expr, BinOp):
        return binop(expr.op, evaluate(expr.left, scope), evaluate(expr.right, scope))
    assert isinstance(expr, Apply)
    args = [evaluate(a, scope) for a in expr.args]
    if expr.instance not in scope.states:
        scope.states[expr.instance] = new_component(expr.component)
    return scope.states[expr.instance](*args)
