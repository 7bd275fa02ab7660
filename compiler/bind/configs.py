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
    Slot,
    SourceSpec,
)
from flowc.compiler.schema import BUYING_POWER_RULES, CARRY_SETTINGS, DEFAULT_CASH, REST_RULES, Roles
from flowc.compiler.scope import literal
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
        model, slippage = "bps", None
        if "slippage" in settings:
            found = self.rate_call(settings["slippage"])
            if found is None:
                return None
            model, slippage = found
        spread = None
        if "entry_spread" in settings:
            found = self.rate_call(settings["entry_spread"])
            if found is None:
                return None
            spread = found[1]
        cap = self.participation(settings)
        if cap is None:
            return None
        return ExecutionConfig(fill, commission, slippage, minimum, maximum, model, spread, *cap)

    def rate_call(self, setting: ast.Setting) -> tuple[str, Slot] | None:
        """A call of one number at least 0 (`bps(b)`, `volume_impact(k)`): the component's name and the slot."""
        found = self.config_call(Roles.EXECUTION, setting)
        if found is None:
            return None
        model, (rate,) = found
        if not self.in_range(rate, f"the argument of `{model}`", at_least=0):
            return None
        slot = self.slot_of(rate, comp.Kind.NUMBER, f"the argument of `{model}`")
        return (model, slot) if slot is not None else None

    def participation(self, settings: dict[str, ast.Setting]) -> tuple[Slot | None, str | None] | None:
        """`max_participation = m` (a percent above 0) and its `rest` (`keep`, the default, or `drop`);
        `rest` without a cap is FL508 (docs/semantics.md, section 7)."""
        if "max_participation" not in settings:
            if "rest" in settings:
                self.problem("FL508", "`rest` says what is left of an order the participation cap cut, and there "
                                      "is no `max_participation`", settings["rest"].span,
                             "add `max_participation = 10` (percent of the bar's volume), or remove `rest`")
                return None
            return (None, None)
        cap = self.number(settings["max_participation"], above=0)
        rest = self.choice(settings.get("rest"), REST_RULES)
        return (cap, rest) if cap is not None and rest is not None else None

    def commission(self, setting: ast.Setting | None) -> tuple[Fee, ...] | None:
        """`percent(p)`, `per_share(c)`, `fixed(c)`, `per_share_tiers(sizes, rates)`, or a sum of them:
        `fixed(1) + percent(0.1)`."""
        if setting is None:
            return ()
        terms, fees = list(_terms(setting.value)), []
        for term in terms:
            found = self.config_call(Roles.EXECUTION, ast.Setting("commission", term, span=term.span))
            if found is None:
                return None
            kind, args = found
            fee = self.tiers(term, *args) if kind == "per_share_tiers" else self.rate(kind, args[0])
            if fee is None:
                return None
            fees.append(fee)
        return tuple(fees)

    def rate(self, kind: str, rate: ast.Expr) -> Fee | None:
        """A one-number term: `percent(p)`, `per_share(c)` or `fixed(c)`, its number at least 0."""
        if not self.in_range(rate, f"the argument of `{kind}`", at_least=0):
            return None
        slot = self.slot_of(rate, comp.Kind.NUMBER, f"the argument of `{kind}`")
        return Fee(kind, slot) if slot is not None else None

    def tiers(self, call: ast.Call, sizes: ast.Expr, rates: ast.Expr) -> Fee | None:
        """`per_share_tiers(sizes, rates)`: two lists of numbers or params of one length, the sizes
        starting at 0 and increasing, the rates at least 0 (FL501, FL509; docs/semantics.md, section 7)."""
        lists = [value.items if isinstance(value, ast.ListExpr) else None for value in (sizes, rates)]
        for value, items, name in zip((sizes, rates), lists, ("sizes", "rates"), strict=True):
            if items is None or not items:
                self.problem("FL501", f"`{name}` of `per_share_tiers` must be a list of numbers", value.span,
                             "`per_share_tiers([0, 500], [0.005, 0.003])`: 0.005 a share below 500 shares, "
                             "0.003 from 500")
                return None
        size_items, rate_items = lists
        assert size_items is not None and rate_items is not None
        if len(size_items) != len(rate_items):
            self.problem("FL509", f"`per_share_tiers` has {len(size_items)} sizes and {len(rate_items)} rates",
                         call.span, "one rate per tier: the tier of `sizes[k]` charges `rates[k]`")
            return None
        if not self._tier_sizes(size_items) or not all(
                self.in_range(rate, "a rate of `per_share_tiers`", at_least=0) for rate in rate_items):
            return None
        sizes_at = [self.slot_of(size, comp.Kind.NUMBER, "a size of `per_share_tiers`") for size in size_items]
        rates_at = [self.slot_of(rate, comp.Kind.NUMBER, "a rate of `per_share_tiers`") for rate in rate_items]
        if None in sizes_at or None in rates_at:
            return None
        return Fee("per_share_tiers", rates_at[0], tuple(zip(sizes_at[1:], rates_at[1:], strict=True)))

    def _tier_sizes(self, items: tuple[ast.Expr, ...]) -> bool:
        """The first size is the literal 0 (every fill falls in a tier) and the literal sizes increase
        (a param's value is checked when it is given)."""
        first = literal(items[0])
        if first != 0 or isinstance(first, bool):
            self.problem("FL509", "the first size of `per_share_tiers` must be 0", items[0].span,
                         "the first tier starts at 0 shares, so that every fill falls in a tier")
            return False
        before = 0
        for item in items[1:]:
            value = literal(item)
            if isinstance(value, int | float) and not isinstance(value, bool):
                if not value > before:
                    self.problem("FL509", f"the sizes of `per_share_tiers` must increase: {value} follows {before}",
                                 item.span, "each tier starts at more shares than the one before")
                    return False
                before = value
        return True

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
        names = [name for pair in CARRY_SETTINGS.values() for name in pair]
        given = {"max_leverage": leverage, **{name: self.number(settings.get(name), at_least=0) for name in names}}
        if cash is None or buying_power is None or any(name in settings and given[name] is None for name in given):
            return None
        if not self.one_rate_per_carry(settings):
            return None
        interest, borrow_fee = ((given[per_year], True) if per_year in settings else (given[per_bar], False)
                                for per_bar, per_year in CARRY_SETTINGS.values())
        return PortfolioConfig(cash, buying_power, leverage, interest[0], borrow_fee[0], interest[1], borrow_fee[1])

    def one_rate_per_carry(self, settings: dict[str, ast.Setting]) -> bool:
        """A carry is charged per bar or per year, not both (FL509)."""
        for per_bar, per_year in CARRY_SETTINGS.values():
            if per_bar in settings and per_year in settings:
                self.problem("FL509", f"`{per_year}` and `{per_bar}` are two rates of one carry",
                             settings[per_year].span, f"keep one: `{per_year}` charges the time elapsed between "
                             f"steps, `{per_bar}` each step alike")
                return False
        return True

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
