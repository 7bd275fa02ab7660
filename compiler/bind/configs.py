"""The per-role config binders: what the settings of a data, risk, execution or portfolio container mean.

These containers do not compute per-bar series; their settings are calls and numbers fixed
before the run that configure one of the engine's fixed stages (`DataConfig`, `RiskConfig`,
`ExecutionConfig`, `PortfolioConfig`). `config_container` (in `containers.py`) calls
`config_<role>` by the container's role.
"""

from __future__ import annotations

from flowc.compiler import components as comp
from flowc.compiler.bind.values import ValueBinder
from flowc.compiler.ir import (
    Config,
    Contract,
    DataConfig,
    ExecutionConfig,
    Fee,
    PortfolioConfig,
    SourceSpec,
)
from flowc.compiler.schema import BUYING_POWER_RULES, DEFAULT_CASH, Roles
from flowc.dsl import ast
from flowc.dsl.diagnostics import did_you_mean


class ConfigBinder(ValueBinder):
    def config_call(self, role: str, setting: ast.Setting) -> tuple[str, list[ast.Expr]] | None:
        value = setting.value
        if not isinstance(value, ast.Call):
            options = comp.candidates(role, setting.name)
            self.problem("FL501", f"`{setting.name}` must be a call of {', '.join(f'`{o}()`' for o in options)}",
                         value.span)
            return None
        component = comp.lookup(role, setting.name, value.func)
        if component is None:
            options = comp.candidates(role, setting.name)
            self.problem("FL503", f"no component `{value.func}` for the {role} setting `{setting.name}`",
                         value.span, did_you_mean(value.func, options) or f"available: {', '.join(options)}")
            return None
        args = self.arguments(value, component)
        return (component.name, args) if args is not None else None

    def config_data(self, path: str, settings: dict[str, ast.Setting]) -> Config | None:
        value = settings["source"].value
        calls = value.items if isinstance(value, ast.ListExpr) else (value,)
        sources = []
        for call in calls:
            found = self.config_call(Roles.DATA, ast.Setting("source", call, span=call.span))
            if found is None:
                continue
            kind, args = found
            component = comp.lookup(Roles.DATA, "source", kind)
            assert component is not None
            evaluated = {}
            for arg, expr in zip(component.args, args, strict=True):
                evaluated[arg.name] = self.constant(expr, arg, kind)
            sources.append(SourceSpec(kind, evaluated, call.span))
        if "contract" not in settings:
            return DataConfig(tuple(sources))
        contract = self.contract(settings["contract"])
        return DataConfig(tuple(sources), contract) if contract is not None else None

    def contract(self, setting: ast.Setting) -> Contract | None:
        """`future(multiplier, margin)`: a multiplier above 0 and a margin per contract of at least 0."""
        found = self.config_call(Roles.DATA, setting)
        if found is None:
            return None
        _, (multiplier, margin) = found
        if not (self.in_range(multiplier, "the `multiplier` of `future`", above=0)
                and self.in_range(margin, "the `margin` of `future`", at_least=0)):
            return None
        slots = [self.slot_of(v, comp.Kind.NUMBER, f"the `{name}` of `future`")
                 for v, name in ((multiplier, "multiplier"), (margin, "margin"))]
        return Contract(*slots) if None not in slots else None  # type: ignore[arg-type]

    def config_execution(self, path: str, settings: dict[str, ast.Setting]) -> Config | None:
        fill = "next_open"
        if "fill" in settings:
            found = self.config_call(Roles.EXECUTION, settings["fill"])
            if found is None:
                return None
            fill = found[0]
        commission = self.commission(settings.get("commission"))
        if commission is None:
            return None
        minimum, maximum = None, None
        if "min_commission" in settings:
            minimum = self.number(settings["min_commission"], at_least=0)
            if minimum is None:
                return None
        if "max_commission" in settings:
            maximum = self.max_commission(settings["max_commission"])
            if maximum is None:
                return None
        slippage = None
        if "slippage" in settings:
            found = self.config_call(Roles.EXECUTION, settings["slippage"])
            if found is None:
                return None
            model, (rate,) = found
            if not self.in_range(rate, f"the argument of `{model}`", at_least=0):
                return None
            slippage = self.slot_of(rate, comp.Kind.NUMBER, f"the argument of `{model}`")
            return ExecutionConfig(fill, commission, slippage, minimum, maximum, model)
        return ExecutionConfig(fill, commission, slippage, minimum, maximum)

    def commission(self, setting: ast.Setting | None) -> tuple[Fee, ...] | None:
        """`percent(p)`, `per_share(c)`, `fixed(c)`, or a sum of them: `fixed(1) + percent(0.1)`."""
        if setting is None:
            return ()
        terms, fees = list(_terms(setting.value)), []
        for term in terms:
            found = self.config_call(Roles.EXECUTION, ast.Setting("commission", term, span=term.span))
            if found is None:
                return None
            kind, (rate,) = found
            if not self.in_range(rate, f"the argument of `{kind}`", at_least=0):
                return None
            slot = self.slot_of(rate, comp.Kind.NUMBER, f"the argument of `{kind}`")
            if slot is None:
                return None
            fees.append(Fee(kind, slot))
        return tuple(fees)

    def max_commission(self, setting: ast.Setting) -> Fee | None:
        """An amount per fill, or `percent(p)`: p % of the fill's value."""
        value = setting.value
        if isinstance(value, ast.Call) and value.func == "percent" and len(value.args) == 1 and not value.kwargs:
            value, kind = value.args[0], "percent"
        else:
            kind = "fixed"
        if not self.in_range(value, "`max_commission`", at_least=0):
            return None
        slot = self.slot_of(value, comp.Kind.NUMBER, "`max_commission`")
        return Fee(kind, slot) if slot is not None else None

    def config_portfolio(self, path: str, settings: dict[str, ast.Setting]) -> Config | None:
        cash = self.number(settings.get("cash"), DEFAULT_CASH, above=0)
        buying_power = self.choice(settings.get("buying_power"), BUYING_POWER_RULES)
        leverage = self.number(settings.get("max_leverage"), above=0)
        if "max_leverage" in settings and leverage is not None and buying_power == "none":
            self.problem("FL508", "`max_leverage` cuts or rejects orders as `buying_power` says, and it is not set",
                         settings["max_leverage"].span, "add `buying_power = cut` (or `reject`)")
            return None
        carry = {name: self.number(settings.get(name), at_least=0)
                 for name in ("interest_per_bar", "borrow_fee_per_bar")}
        given = {"max_leverage": leverage, **carry}
        if cash is None or buying_power is None or any(name in settings and given[name] is None for name in given):
            return None
        return PortfolioConfig(cash, buying_power, leverage, carry["interest_per_bar"], carry["borrow_fee_per_bar"])

    def choice(self, setting: ast.Setting | None, rules: tuple[str, ...]) -> str | None:
        """One of a setting's named rules (a bare name or a string; FL509 otherwise); the first when not given."""
        if setting is None:
            return rules[0]
        value = setting.value
        rule = value.id if isinstance(value, ast.Name) else value.value if isinstance(value, ast.String) else ""
        if rule not in rules:
            self.problem("FL509", f"`{setting.name}` must be one of " + ", ".join(rules), value.span,
                         did_you_mean(rule, rules))
            return None
        return rule


def _terms(value: ast.Expr):
    """The terms of a sum, left to right: `a + b + c`."""
    if isinstance(value, ast.Binary) and value.op == "+":
        yield from _terms(value.left)
        yield from _terms(value.right)
    else:
        yield value
