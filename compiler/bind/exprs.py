"""Binding a setting's expression to the IR of `ir.py`: names, operators, `symbol` tests and component calls.

A name is a local (an earlier setting), a delivered field, or a param; a call is a component
of the role's setting, with its series arguments bound here and its fixed arguments made
slots by `values.py`. When an expression does not bind and nothing said why, `bind_expr`
names the first name it cannot see: a missing route (FL209) or an unknown name (FL201).
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.compiler import components as comp
from flowc.compiler.bind.state import Names
from flowc.compiler.bind.values import ValueBinder
from flowc.compiler.bind.visibility import VisibilityBinder
from flowc.compiler.ir import (
    CROSS_SECTIONAL,
    Apply,
    BinOp,
    Book,
    CrossInput,
    CrossSection,
    Expr,
    Input,
    Local,
    Slot,
    SymbolIs,
    UnOp,
    cross_sections,
)
from flowc.compiler.schema import Events, Roles
from flowc.dsl import ast
from flowc.dsl.diagnostics import did_you_mean


class ExprBinder(VisibilityBinder, ValueBinder):
    def expr(self, e: ast.Expr, names: Names, role: str, setting: str, instances: list[int]) -> Expr | None:
        if isinstance(e, ast.Number):
            return self.out.params.literal(e.value)
        if isinstance(e, ast.Bool):
            return self.out.params.literal(1.0 if e.value else 0.0)
        if isinstance(e, ast.Name):
            return self.name(e, names, setting)
        if isinstance(e, ast.Unary):
            if e.op == "-" and isinstance(e.operand, ast.Number):
                return self.out.params.literal(-e.operand.value)
            operand = self.expr(e.operand, names, role, setting, instances)
            return UnOp(e.op, operand) if operand is not None else None
        if isinstance(e, ast.Binary):
            symbol = self.symbol_test(e)
            if symbol is not None:
                return symbol
            left = self.expr(e.left, names, role, setting, instances)
            right = self.expr(e.right, names, role, setting, instances)
            return BinOp(e.op, left, right) if left is not None and right is not None else None
        if isinstance(e, ast.Call):
            return self.call(e, names, role, setting, instances)
        what = "a string" if isinstance(e, ast.String) else "a list"
        self.problem("FL501", f"{what} cannot be used as a per-bar value", e.span)
        return None

    def symbol_test(self, e: ast.Binary) -> SymbolIs | None:
        sides = (e.left, e.right)
        if e.op not in ("==", "!=") or not any(isinstance(s, ast.Name) and s.id == "symbol" for s in sides):
            return None
        other = e.right if isinstance(e.left, ast.Name) and e.left.id == "symbol" else e.left
        if not isinstance(other, ast.String):
            self.problem("FL501", "`symbol` can only be compared with a string", other.span,
                         'write e.g. `symbol == "SPX"`')
            return SymbolIs(-1)
        if other.value not in self.out.symbol_literals:
            self.out.symbol_literals.append(other.value)
        return SymbolIs(self.out.symbol_literals.index(other.value), negate=e.op == "!=")

    def name(self, e: ast.Name, names: Names, setting: str = "") -> Expr | None:
        if e.at is not None:
            return self.cross_read(e, names, setting)
        if e.id in names.locals:
            return Local(e.id)
        if e.id in names.failed:
            return None  # declared above; its definition failed and says why
        if e.id in names.fields:
            found = names.fields[e.id]
            self.out.used_inputs.add((found.source or Events.BAR.value, found.event, found.field))
            return found
        if e.id in names.book:
            return Book(e.id)
        if e.id in self.scope.params:
            decl = self.scope.params[e.id]
            if decl.type.name == "str":
                self.problem("FL501", f"the param `{e.id}` is a str and cannot be used as a number", e.span)
                return None
            self.out.used_params.add(e.id)
            return self.out.params.param(e.id)
        if e.id == "symbol":
            self.problem("FL501", "`symbol` can only be compared with a string", e.span)
            return None
        return None

    def cross_read(self, e: ast.Name, names: Names, setting: str) -> Expr | None:
        """`name@SYMBOL`: a BAR field or an upstream container's FEATURE or REGIME, at another symbol (FL513)."""
        what = f"`{e.id}@{e.at}`"
        if names.book:  # a risk container's setting
            self.problem("FL513", f"{what} in a risk setting: a risk container sizes one symbol at a time", e.span,
                         "read it in a feature container and route its FEATURE to the risk container")
            return None
        if setting == "when":  # a `selective` case is bound again as the later cases' exclusion: say it once
            if not any(d.span == e.span for d in self.out.diagnostics):
                self.problem("FL513", f"{what}: a route predicate reads the event it is given, never another symbol's",
                             e.span, "compute the value in a feature container and route it here")
            return None
        if e.id in names.locals or e.id in names.failed:
            self.problem("FL513", f"{what}: `{e.id}` is a setting of this container, whose value at another symbol "
                                  "is not known yet (the container runs symbol by symbol)", e.span,
                         f"compute `{e.id}` in a feature container upstream and route its FEATURE here")
            return None
        found = names.fields.get(e.id)
        if found is None:
            if e.id in self.scope.params:
                self.problem("FL513", f"{what}: `{e.id}` is a param, the same for every symbol", e.span,
                             f"write `{e.id}`")
            return None  # bind_expr names it: a missing route (FL209) or an unknown name (FL201)
        if found.event not in (Events.BAR, Events.FEATURE, Events.REGIME):
            self.problem("FL513", f"{what}: only a BAR field, a FEATURE or a REGIME can be read at another "
                                  f"symbol, and `{e.id}` is a field of {found.event}", e.span)
            return None
        if e.at not in self.out.symbol_literals:
            self.out.symbol_literals.append(e.at)
        self.out.used_inputs.add((found.source or Events.BAR.value, found.event, found.field))
        self.out.cross_reads.append((e.id, e.at, e.span))
        return CrossInput(found.event, found.source, found.field, self.out.symbol_literals.index(e.at))

    def cross_section(self, e: ast.Call, names: Names, role: str, setting: str,
                      instances: list[int]) -> Expr | None:
        """`cs_rank(x)`, `top(x, n)`, ...: `x` across the symbols at one step (FL502, FL510, FL514)."""
        if role == Roles.RISK:
            self.problem("FL514", f"`{e.func}` in a risk setting: a risk container sizes one symbol at a time",
                         e.span, "compute it in a feature container and route its FEATURE to the risk container")
            return None
        counted = e.func in ("top", "bottom")
        signature = f"{e.func}(x, n)" if counted else f"{e.func}(x)"
        if e.kwargs:
            self.problem("FL510", f"`{signature}` takes no keyword argument", e.kwargs[0].span)
            return None
        if len(e.args) != 1 + counted:
            self.problem("FL502", f"`{signature}` takes {1 + counted} argument{'s' if counted else ''}, "
                                  f"not {len(e.args)}", e.span)
            return None
        if setting == "when":  # said once: a `selective` case is bound again as the later cases' exclusion
            if not any(d.span == e.span for d in self.out.diagnostics):
                    self.problem("FL514", f"`{e.func}` in a route predicate: a predicate reads one event, not every "
                                      "symbol's", e.span, "compute it in a feature container and route it here")
            return None
        arg = self.expr(e.args[0], names, role, setting, instances)
        if arg is None:
            return None
        if cross_sections(arg):
            self.problem("FL514", f"`{e.func}` of an expression that is itself across the symbols", e.span,
                         "compute the inner one in a setting of its own and pass that setting")
            return None
        n = self.slot_of(e.args[1], comp.Kind.WINDOW, f"the argument `n` of `{e.func}`") if counted else None
        if counted and n is None:
            return None
        instances.append(len(instances))
        return CrossSection(e.func, arg, n, instances[-1])

    def call(self, e: ast.Call, names: Names, role: str, setting: str, instances: list[int]) -> Expr | None:
        if e.func in CROSS_SECTIONAL:
            return self.cross_section(e, names, role, setting, instances)
        component = comp.lookup(role, setting, e.func)
        if component is None or component.kernel is None:
            options = comp.candidates(role, setting) if role in comp.SERIES_ROLES else \
                comp.candidates(Roles.FEATURE, comp.ANY_SETTING)  # inside a risk setting's call
            self.problem("FL503", f"no component `{e.func}` for the {role} setting `{setting}`", e.span,
                         did_you_mean(e.func, options) or (f"available: {', '.join(options)}" if options else None))
            return None
        bound = self.arguments(e, component)
        if bound is None:
            return None
        args: list[Expr] = [Input(Events.BAR.value, None, f) for f in component.reads]
        if component.reads and not all(("close" if f == comp.TIME else f) in names.fields for f in component.reads):
            self.problem("FL209", f"`{e.func}` reads the BAR fields {', '.join(component.reads)}, and no route "
                                  "delivers BAR here", e.span, "add a BAR route from the data container")
            return None
        windows: list[Slot] = []
        for arg, value in zip(component.args, bound, strict=True):
            if arg.kind is comp.Kind.SERIES:
                inner = self.expr(value, names, role, setting, instances)
                if inner is None:
                    return None  # bind_expr names the first name it cannot see: FL209 or FL201
                args.append(inner)
            else:
                if component.name in comp.LAGGED and not self.lag_is_causal(value, e.func):
                    return None
                slot = self.slot_of(value, arg.kind, f"the argument `{arg.name}` of `{e.func}`")
                if slot is None:
                    return None
                args.append(slot)
                windows.append(slot)
        instances.append(len(instances))
        return Apply(component.name, tuple(args), tuple(windows), instances[-1])

    def unknown(self, e: ast.Name, names: Names) -> None:
        if any(d.span == e.span for d in self.out.diagnostics):
            return
        candidates = names.visible() + list(self.scope.params)
        self.problem("FL201", f"unknown name `{e.id}`", e.span,
                     did_you_mean(e.id, candidates) or "names visible here: " + ", ".join(candidates[:12]))

    def bind_expr(self, e: ast.Expr, names: Names, role: str, setting: str, path: str,
                  instances: list[int]) -> Expr | None:
        before = len(self.out.diagnostics)
        result = self.expr(e, names, role, setting, instances)
        if result is None and len(self.out.diagnostics) == before:
            for node in names_in(e):
                if any(d.span == node.span for d in self.out.diagnostics):
                    break  # said already (a `selective` case bound again as an exclusion)
                if (node.id not in names.visible() and node.id not in names.failed
                        and node.id not in self.scope.params and node.id != "symbol"
                        and not self.missing_route(node.id, path, node.span)):
                    self.unknown(node, names)
                    break
        return result


def names_in(e: ast.Expr) -> Iterator[ast.Name]:
    """Every name an expression mentions, in order."""
    if isinstance(e, ast.Name):
        yield e
    elif isinstance(e, ast.Call):
        for a in e.args:
            yield from names_in(a)
        for k in e.kwargs:
            yield from names_in(k.value)
    elif isinstance(e, ast.Binary):
        yield from names_in(e.left)
        yield from names_in(e.right)
    elif isinstance(e, ast.Unary):
        yield from names_in(e.operand)
    elif isinstance(e, ast.ListExpr):
        for item in e.items:
            yield from names_in(item)
