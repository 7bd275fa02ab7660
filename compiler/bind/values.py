"""Values fixed before the run: numbers and params as parameter slots, call arguments, range checks.

A window, a lag, a size or a commission is not a per-bar value: it is a literal or a param, and
becomes a slot of the parameter vector. Here are the checks such a value passes (a whole number,
finite, in range: FL501, FL509, FL512), the matching of a call's arguments to a component's
contract (FL502, FL510), and the evaluation of a data source's constant arguments.
"""

from __future__ import annotations

from flowc.compiler import components as comp
from flowc.compiler.bind.state import BinderState
from flowc.compiler.ir import Slot
from flowc.compiler.scope import MAX_WHOLE, check_value, literal
from flowc.dsl import ast
from flowc.dsl.diagnostics import did_you_mean


class ValueBinder(BinderState):
    def slot_of(self, expr: ast.Expr, kind: comp.Kind, what: str) -> Slot | None:
        """A number or a param: a slot of the parameter vector."""
        value = literal(expr)
        if isinstance(value, bool):
            if kind is comp.Kind.NUMBER:
                return self.out.params.literal(float(value))
        elif isinstance(value, int | float):
            if check_value("float" if isinstance(value, float) else "int", value):
                shown = value if isinstance(value, float) else f"a number of {len(str(abs(value)))} digits"
                self.problem("FL509", f"{what} must be a finite number a float can hold exactly, not {shown}",
                             expr.span,
                             "a number literal above 1.8e308 overflows to infinity; whole numbers have at most "
                             f"{MAX_WHOLE:,}")
                return None
            if kind in (comp.Kind.WINDOW, comp.Kind.INT) and not isinstance(value, int):
                self.problem("FL501", f"{what} must be a whole number, not {value}", expr.span)
                return None
            if kind is comp.Kind.WINDOW and value < 1:
                self.problem("FL509", f"{what} must be at least 1, not {value}", expr.span)
                return None
            return self.out.params.literal(value)
        elif isinstance(expr, ast.Name) and expr.id in self.scope.params:
            decl = self.scope.params[expr.id]
            ok = {comp.Kind.WINDOW: ("int",), comp.Kind.INT: ("int",),
                  comp.Kind.NUMBER: ("int", "float", "bool")}.get(kind, ())
            if decl.type.name not in ok:
                self.problem("FL501", f"{what} needs {'an int' if kind is not comp.Kind.NUMBER else 'a number'}"
                                      f", and the param `{expr.id}` is {decl.type.name}", expr.span)
                return None
            self.out.used_params.add(expr.id)
            return self.out.params.param(expr.id)
        close = did_you_mean(expr.id, self.scope.params) if isinstance(expr, ast.Name) else None
        if close:  # most likely a misspelt param
            self.problem("FL201", f"unknown name `{expr.id}`", expr.span, close)  # type: ignore[union-attr]
            return None
        self.problem("FL501", f"{what} must be a number or a param", expr.span,
                     "it is fixed before the run; a per-bar value is not allowed here")
        return None

    def lag_is_causal(self, value: ast.Expr, func: str) -> bool:
        """A literal lag of `shift`, `diff` or `pct_change` must be at least 1 (FL512); a param's is checked at run."""
        lag = literal(value)
        if isinstance(lag, int | float) and not isinstance(lag, bool) and lag < 1:
            self.problem("FL512", f"the lag of `{func}` is {lag}; it must be at least 1, as a lag of {lag} "
                                  f"would {'read the same call' if lag == 0 else 'read a later bar'}", value.span,
                         "`shift(x, 1)` is the previous call's value; a strategy cannot see later bars")
            return False
        return True

    def arguments(self, e: ast.Call, component: comp.Component) -> list[ast.Expr] | None:
        """Match positional and keyword arguments to the contract (FL502, FL510)."""
        params = component.args
        if len(e.args) > len(params):
            self.problem("FL502", f"`{component.signature}` takes {len(params)} argument"
                                  f"{'s' if len(params) != 1 else ''}, not {len(e.args)}", e.span)
            return None
        chosen: dict[str, ast.Expr] = {p.name: v for p, v in zip(params, e.args, strict=False)}
        for kw in e.kwargs:
            if kw.name not in {p.name for p in params}:
                self.problem("FL510", f"`{e.func}` takes no argument `{kw.name}`", kw.span,
                             did_you_mean(kw.name, [p.name for p in params]) or f"signature: {component.signature}")
                return None
            if kw.name in chosen:
                self.problem("FL502", f"the argument `{kw.name}` of `{e.func}` is given twice", kw.span)
                return None
            chosen[kw.name] = kw.value
        missing = [p.name for p in params if p.name not in chosen and p.default is comp.REQUIRED]
        if missing:
            self.problem("FL502", f"`{e.func}` is missing the argument{'s' if len(missing) > 1 else ''} "
                                  f"{', '.join(f'`{m}`' for m in missing)}", e.span,
                         f"signature: {component.signature}")
            return None
        return [chosen[p.name] if p.name in chosen else default_expr(p.default) for p in params]

    def number(self, setting: ast.Setting | None, default: float | None = None, *,
               at_least: float | None = None, above: float | None = None) -> Slot | None:
        """A numeric setting; a literal below `at_least` (or not above `above`) is FL509."""
        if setting is None:
            return self.out.params.literal(default) if default is not None else None
        if not self.in_range(setting.value, f"`{setting.name}`", at_least=at_least, above=above):
            return None
        return self.slot_of(setting.value, comp.Kind.NUMBER, f"`{setting.name}`")

    def in_range(self, expr: ast.Expr, what: str, *, at_least: float | None = None,
                 above: float | None = None) -> bool:
        """False (with FL509) for a literal out of range: cash must be above 0, a commission at least 0, ..."""
        value = literal(expr)
        if not isinstance(value, int | float) or isinstance(value, bool) or check_value(
                "float" if isinstance(value, float) else "int", value):
            return True  # a param (its value is checked when given) or not a number (slot_of says so)
        if at_least is not None and value < at_least:
            self.problem("FL509", f"{what} must be at least {at_least:g}, not {value}", expr.span)
            return False
        if above is not None and value <= above:
            self.problem("FL509", f"{what} must be above {above:g}, not {value}", expr.span)
            return False
        return True

    def constant(self, expr: ast.Expr | None, arg: comp.Arg, func: str) -> object:
        """A data-source argument: a literal or a param's value, checked against the argument's kind."""
        if expr is None:
            return None
        value = literal(expr)
        if value is None and isinstance(expr, ast.Name) and expr.id in self.scope.params:
            self.out.used_params.add(expr.id)
            value = self.values.get(expr.id)
        want = {comp.Kind.STRING: str, comp.Kind.INT: int, comp.Kind.BOOL: bool}.get(arg.kind, float)
        if value is None or not isinstance(value, want) or (isinstance(value, bool) and want is not bool):
            what = {str: "a string", bool: "true or false"}.get(want, "a whole number")
            self.problem("FL501", f"the argument `{arg.name}` of `{func}` must be {what}", expr.span)
        return value


def default_expr(value: object) -> ast.Expr | None:
    """A contract's default argument as the expression it stands for."""
    if value is None:
        return None
    if isinstance(value, bool):
        return ast.Bool(value)
    if isinstance(value, str):
        return ast.String(value)
    return ast.Number(value, str(value))  # type: ignore[arg-type]
