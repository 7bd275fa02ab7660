"""The built-in events and roles of the language, and the settings each role takes.

User `event` and `role` declarations extend these tables (see `scope.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class _Name(str, Enum):
    """A built-in name: equal to, hashed as and printed as its text, so it stands wherever the text does
    (in the plan's structure text, which keys the compile cache, too)."""

    def __repr__(self) -> str:
        return repr(self.value)

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


class Roles(_Name):
    """The built-in roles, by name (`ROLES` says what each consumes and produces)."""

    BACKTEST = "backtest"
    DATA = "data"
    FEATURE = "feature"
    CLASSIFIER = "classifier"
    STRATEGY = "strategy"
    RISK = "risk"
    EXECUTION = "execution"
    PORTFOLIO = "portfolio"


class Events(_Name):
    """The built-in events, by name (`EVENTS` gives their fields)."""

    BAR = "BAR"
    FEATURE = "FEATURE"
    REGIME = "REGIME"
    SIGNAL = "SIGNAL"
    ORDER = "ORDER"
    FILL = "FILL"
    PORTFOLIO = "PORTFOLIO"


BAR_FIELDS = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True)
class EventType:
    name: str
    fields: tuple[str, ...]  # empty for FEATURE and REGIME, whose fields are named by their producer
    builtin: bool = True


@dataclass(frozen=True)
class Role:
    name: str
    consumes: frozenset[str]
    produces: frozenset[str]
    builtin: bool = True

    @property
    def routes(self) -> bool:
        """Whether the role takes part in routing (the holder role `backtest` does not)."""
        return bool(self.consumes or self.produces)


EVENTS: dict[str, EventType] = {e.name: e for e in (
    EventType(Events.BAR, BAR_FIELDS),
    EventType(Events.FEATURE, ()),
    EventType(Events.REGIME, ()),
    EventType(Events.SIGNAL, ("direction", "strength")),
    EventType(Events.ORDER, ("quantity", "price", "level", "limit")),  # price: an exit's; level: a limit's or
    # stop's (a stop-limit's stop), limit: a stop-limit's limit; else NaN
    EventType(Events.FILL, ("quantity", "price", "commission")),
    EventType(Events.PORTFOLIO, ("cash", "equity", "drawdown", "position")),
)}


def _role(name: Roles, consumes: tuple[Events, ...], produces: tuple[Events, ...]) -> Role:
    return Role(name, frozenset(consumes), frozenset(produces))


ROLES: dict[str, Role] = {r.name: r for r in (
    _role(Roles.BACKTEST, (), ()),
    _role(Roles.DATA, (), (Events.BAR,)),
    _role(Roles.FEATURE, (Events.BAR,), (Events.FEATURE,)),
    _role(Roles.CLASSIFIER, (Events.BAR, Events.FEATURE), (Events.REGIME,)),
    _role(Roles.STRATEGY, (Events.BAR, Events.FEATURE, Events.REGIME), (Events.SIGNAL,)),
    _role(Roles.RISK, (Events.SIGNAL, Events.PORTFOLIO, Events.BAR, Events.FEATURE, Events.REGIME), (Events.ORDER,)),
    _role(Roles.EXECUTION, (Events.ORDER, Events.BAR), (Events.FILL,)),
    _role(Roles.PORTFOLIO, (Events.FILL, Events.BAR), (Events.PORTFOLIO,)),
)}

# Settings each built-in role accepts. None: any name (feature); the classifier takes one setting.
ROLE_SETTINGS: dict[str, frozenset[str] | None] = {
    Roles.BACKTEST: frozenset(),
    Roles.DATA: frozenset({"source", "contract"}),
    Roles.FEATURE: None,
    Roles.CLASSIFIER: None,
    Roles.STRATEGY: frozenset({"signal", "active", "timeframe"}),
    Roles.RISK: frozenset({"size", "max_position", "max_drawdown", "long_only", "combine", "rebalance",
                           "stop_loss", "take_profit", "trailing_stop", "max_bars", "fractional", "entry",
                           "close_at_end", "book"}),
    Roles.EXECUTION: frozenset({"fill", "commission", "slippage", "min_commission", "max_commission", "entry_spread",
                                "max_participation", "rest"}),
    Roles.PORTFOLIO: frozenset({"cash", "buying_power", "max_leverage", "interest_per_bar", "borrow_fee_per_bar",
                                "interest_per_year", "borrow_fee_per_year"}),
}
TIMEFRAME = "timeframe"  # the setting of a feature, classifier or strategy that is its clock, not a value
REQUIRED_SETTINGS: dict[str, tuple[str, ...]] = {
    Roles.DATA: ("source",),
    Roles.STRATEGY: ("signal",),
    Roles.RISK: ("size",),
}
COMBINE_RULES = ("sum", "mean", "unanimous")
BOOK_RULES = ("orders", "position", "committed")  # a risk container's `book`: what its orders are the difference to
# a portfolio's carry, by kind: its setting per bar and per year (one of the two; docs/semantics.md, section 8)
CARRY_SETTINGS = {"interest": ("interest_per_bar", "interest_per_year"),
                  "borrow_fee": ("borrow_fee_per_bar", "borrow_fee_per_year")}
BUYING_POWER_RULES = ("none", "cut", "reject")  # a portfolio's `buying_power` (docs/semantics.md, section 8)
REST_RULES = ("keep", "drop")  # an execution's `rest`: what is left of an order its participation cap cut
NAMED_RULES = {(Roles.RISK, "combine"): COMBINE_RULES, (Roles.RISK, "book"): BOOK_RULES,
               (Roles.PORTFOLIO, "buying_power"): BUYING_POWER_RULES,
               (Roles.EXECUTION, "rest"): REST_RULES}  # settings whose value is a rule's name
EXIT_SETTINGS = ("stop_loss", "take_profit", "trailing_stop")  # risk settings: levels (docs/semantics.md, 6a)
# What a risk container's settings read of its own book and account for the symbol (docs/semantics.md, 6b)
BOOK_FIELDS = ("position", "entry_price", "bars_held", "unrealised_pnl", "equity", "cash", "drawdown", "direction",
               "strength", "working")
TRACKED_FIELDS = frozenset({"entry_price", "bars_held", "unrealised_pnl"})  # they need the position's entry
DEFAULT_CASH = 1_000_000.0
