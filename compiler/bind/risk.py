"""Binding a risk container: its fixed choices (`RiskConfig`) and its per-bar settings.

A risk container's size, `rebalance` and exit levels are expressions of what it sees: the BAR,
FEATURE and REGIME fields its routes deliver, params, and its own book (`schema.BOOK_FIELDS`:
position, entry price, bars held, equity, ...). Each becomes a setting evaluated at every step
(docs/semantics.md, 6b); the calls around them (`units(...)`, `distance(...)`) and the numbers
that shape the program (`combine`, `fractional`, `max_bars`) are the config.
"""

from __future__ import annotations

from flowc.compiler import components as comp
from flowc.compiler.bind.configs import ConfigBinder
from flowc.compiler.bind.exprs import ExprBinder
from flowc.compiler.bind.state import Names
from flowc.compiler.ir import (
    WORKING_ENTRIES,
    Book,
    BoundContainer,
    BoundSetting,
    Expr,
    Level,
    RiskConfig,
    Slot,
    reads,
    walk,
)
from flowc.compiler.schema import BOOK_FIELDS, BOOK_RULES, COMBINE_RULES, EXIT_SETTINGS, TRACKED_FIELDS, Events, Roles
from flowc.compiler.scope import literal
from flowc.dsl import ast
from flowc.dsl.diagnostics import did_you_mean


class RiskBinder(ExprBinder, ConfigBinder):
    def risk_container(self, path: str, settings: dict[str, ast.Setting]) -> BoundContainer:
        names = self.risk_names(path)
        bound: dict[str, BoundSetting] = {}

        def setting(name: str, value: ast.Expr, of: str) -> Expr | None:
            expr = self.bind_expr(value, names, Roles.RISK, of, path, instances)
            if expr is not None:
                bound[name] = BoundSetting(name, expr, reads(expr, {}), value.span)
            return expr

        instances: list[int] = []
        size = self.risk_size(settings["size"], setting)
        combine = self.choice(settings.get("combine"), COMBINE_RULES)
        book = self.choice(settings.get("book"), BOOK_RULES)
        long_only = self.number(settings.get("long_only"), 1.0)
        fractional = self.number(settings.get("fractional"), 0.0)
        close_at_end = self.number(settings["close_at_end"]) if "close_at_end" in settings else None
        rebalances = "rebalance" in settings
        rebalance_ok = not rebalances or setting("rebalance", settings["rebalance"].value, "rebalance") is not None
        levels = {name: self.level(settings[name], setting) for name in EXIT_SETTINGS if name in settings}
        max_bars = self.slot_of(settings["max_bars"].value, comp.Kind.WINDOW, "`max_bars`") \
            if "max_bars" in settings else None
        entry = self.entry(settings["entry"], setting) if "entry" in settings else ("market", None)
        limits = {name: self.number(settings.get(name), at_least=0) for name in ("max_position", "max_drawdown")}
        given = {**limits, "max_bars": max_bars, "close_at_end": close_at_end}  # each None where given and wrong
        ok = (size is not None and combine is not None and book is not None and long_only is not None
              and fractional is not None and rebalance_ok and entry is not None
              and all(level is not None for level in levels.values())
              and not any(name in settings and slot is None for name, slot in given.items()))
        routed = ok and self.has_bar_route(path, settings, bound) and self.has_portfolio_route(path, settings, book)
        if not routed or not self.can_work(path, entry[0], bound):  # type: ignore[index]
            return BoundContainer(path, Roles.RISK)
        kind, size_slot = size  # type: ignore[misc]
        read = {e.field for s in bound.values() for e in walk(s.expr) if isinstance(e, Book)}
        config = RiskConfig(kind, size_slot, limits["max_position"], limits["max_drawdown"], long_only, combine,
                            rebalances, fractional, max_bars=max_bars,
                            tracks=bool(levels) or max_bars is not None or bool(read & TRACKED_FIELDS),
                            entry=entry[0], entry_bars=entry[1], close_at_end=close_at_end, book=book,
                            **levels)  # type: ignore[arg-type]
        return BoundContainer(path, Roles.RISK, tuple(bound.values()), config)

    def risk_names(self, path: str) -> Names:
        """What a risk setting sees: delivered fields and its book, which no delivered field may shadow (FL306)."""
        fields = self.delivered(path)
        for name in BOOK_FIELDS:
            if name in fields:
                self.problem("FL306", f"`{name}` reaches `{path}` from `{fields[name].source}`, and it is also "
                                      f"what a risk container knows of its book", self.graph.container(path).span,
                             f"rename the setting `{name}` of `{fields[name].source}`")
        return Names({}, {k: v for k, v in fields.items() if k not in BOOK_FIELDS}, book=BOOK_FIELDS)

    def risk_size(self, setting: ast.Setting, bind) -> tuple[str, Slot | None] | None:
        """`size = fixed(q)` (a number) or a sizing call whose arguments are per-bar settings `size_<arg>`."""
        found = self.risk_call(setting)
        if found is None:
            return None
        component, args = found
        if component.name == "fixed":
            slot = self.slot_of(args[0], comp.Kind.NUMBER, "the argument of `fixed`")
            return (component.name, slot) if slot is not None else None
        bound = [bind(f"size_{arg.name}", value, "size") for arg, value in zip(component.args, args, strict=True)]
        return (component.name, None) if all(b is not None for b in bound) else None

    def risk_call(self, setting: ast.Setting) -> tuple[comp.Component, list[ast.Expr]] | None:
        """A call of one of the risk components of `setting` (FL501, FL503), its arguments matched."""
        value, options = setting.value, risk_components(setting.name)
        if not isinstance(value, ast.Call):
            self.problem("FL501", f"`{setting.name}` must be a call of {', '.join(f'`{o}()`' for o in options)}",
                         value.span)
            return None
        component = comp.lookup(Roles.RISK, setting.name, value.func)
        if component is None or component.role != Roles.RISK:
            self.problem("FL503", f"no component `{value.func}` for the risk setting `{setting.name}`", value.span,
                         did_you_mean(value.func, options) or f"available: {', '.join(options)}")
            return None
        args = self.arguments(value, component)
        return (component, args) if args is not None else None

    def level(self, setting: ast.Setting, bind) -> Level | None:
        """An exit: a number or param is a percentage; else `percent(x)`, `distance(x)` or `price(x)`."""
        value = setting.value
        if not isinstance(value, ast.Call):
            if not (isinstance(literal(value), int | float) or (isinstance(value, ast.Name) and value.id in
                    self.scope.params)):
                self.problem("FL501", f"`{setting.name}` must be a number, a param, or a call of "
                                      "`percent()`, `distance()` or `price()`", value.span,
                             f"a per-bar value says what it is: `{setting.name} = distance(2 * atr14)`")
                return None
            if not self.positive(setting.name, value) or bind(setting.name, value, setting.name) is None:
                return None
            return Level("percent", False)
        found = self.risk_call(setting)
        if found is None:
            return None
        component, (x, each_bar) = found
        flag = literal(each_bar)
        if not isinstance(flag, bool):
            self.problem("FL501", "`each_bar` must be `true` or `false`: it decides the program's shape",
                         each_bar.span if each_bar is not None else value.span, "a param cannot choose it")
            return None
        if component.name != "price" and not self.positive(setting.name, x):
            return None
        if bind(setting.name, x, setting.name) is None:
            return None
        return Level(component.name, flag)

    def entry(self, setting: ast.Setting, bind) -> tuple[str, Slot | None] | None:
        """`entry = market()`, or `limit(price, bars)` / `stop(price, bars)`: the price a per-bar setting `entry`;
        `stop_limit(stop, limit, bars)`: the stop `entry`, the limit `entry_limit`."""
        found = self.risk_call(setting)
        if found is None:
            return None
        component, args = found
        if component.name in ("market", "market_on_close", "market_on_open"):
            return (component.name, None)
        *prices, bars = args
        if not self.in_range(bars, "`bars` (the bars a working order lives; 0: till cancelled)", at_least=0):
            return None
        slot = self.slot_of(bars, comp.Kind.INT, "`bars`")  # a whole number of bars, or an int param
        if slot is None or any(bind(name, price, "entry") is None
                               for name, price in zip(("entry", "entry_limit"), prices, strict=False)):
            return None
        return (component.name, slot)

    def positive(self, name: str, value: ast.Expr) -> bool:
        """A literal percentage or distance must be above 0 (FL509)."""
        number = literal(value)
        if isinstance(number, int | float) and not isinstance(number, bool) and number <= 0:
            self.problem("FL509", f"`{name}` is measured from the entry price and must be above 0, not {number}",
                         value.span, f"e.g. `{name} = 5` for 5 %")
            return False
        return True

    def has_bar_route(self, path: str, settings: dict[str, ast.Setting], bound: dict[str, BoundSetting]) -> bool:
        """Exits and the position's entry read each bar: they need a BAR route (FL209)."""
        if any(e.event == Events.BAR for e in self.graph.incoming(path)):
            return True
        needs = [settings[name] for name in (*EXIT_SETTINGS, "max_bars") if name in settings]
        tracked = [s for s in bound.values() for e in walk(s.expr) if isinstance(e, Book)
                   and e.field in TRACKED_FIELDS]
        if not needs and not tracked:
            return True
        source = next(iter(self.graph.of_role(Roles.DATA)), Roles.DATA)
        what, span = (f"`{needs[0].name}`", needs[0].span) if needs else (
            f"`{tracked[0].name}` reads the position's entry and", tracked[0].span)
        self.problem("FL209", f"{what} reads each bar's open, high and low, and no route delivers BAR to "
                              f"`{path}`", span, f"add `broadcast {source} -> {path} : BAR`")
        return False

    def has_portfolio_route(self, path: str, settings: dict[str, ast.Setting], book: str) -> bool:
        """`book = position` and `book = committed` read the portfolio's position: they need a PORTFOLIO route
        (FL209)."""
        if book == "orders" or any(e.event == Events.PORTFOLIO for e in self.graph.incoming(path)):
            return True
        source = next(iter(self.graph.of_role(Roles.PORTFOLIO)), Roles.PORTFOLIO)
        self.problem("FL209", f"`book = {book}` reads the portfolio's position, and no route delivers PORTFOLIO "
                              f"to `{path}`", settings["book"].span, f"add `feedback {source} -> {path} : PORTFOLIO`")
        return False

    def can_work(self, path: str, entry: str, bound: dict[str, BoundSetting]) -> bool:
        """`working` reads this container's working limit or stop orders: a market-only entry has none (FL209)."""
        if entry in WORKING_ENTRIES:
            return True
        for setting in bound.values():
            if any(isinstance(e, Book) and e.field == "working" for e in walk(setting.expr)):
                self.problem("FL209", f"`{setting.name}` of `{path}` reads `working`, and `entry = {entry}()` sends "
                                      "no order that works at a level", setting.span,
                             "give the container an `entry = limit(...)`, `stop(...)` or `stop_limit(...)`")
                return False
        return True


def risk_components(setting: str) -> list[str]:
    """The risk components callable in `setting` (feature components are for their arguments)."""
    return comp.candidates(Roles.RISK, setting)
