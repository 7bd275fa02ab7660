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
    EventType("BAR", BAR_FIELDS),
    EventType("FEATURE", ()),
    EventType("REGIME", ()),
    EventType("SIGNAL", ("direction", "strength")),
    EventType("ORDER", ("quantity", "price")),  # price: NaN for a market order
    EventType("FILL", ("quantity", "price", "commission")),
    EventType("PORTFOLIO", ("cash", "equity", "drawdown", "position")),
)}


def _role(name: str, consumes: str, produces: str) -> Role:
    return Role(name, frozenset(consumes.split()), frozenset(produces.split()))


ROLES: dict[str, Role] = {r.name: r for r in (
    _role("backtest", "", ""),
    _role("data", "", "BAR"),
    _role("feature", "BAR", "FEATURE"),
    _role("classifier", "BAR FEATURE", "REGIME"),
    _role("strategy", "BAR FEATURE REGIME", "SIGNAL"),
    _role("risk", "SIGNAL PORTFOLIO BAR", "ORDER"),
    _role("execution", "ORDER BAR", "FILL"),
    _role("portfolio", "FILL BAR", "PORTFOLIO"),
)}

# Settings each built-in role accepts. None: any name (feature); the classifier takes one setting.
ROLE_SETTINGS: dict[str, frozenset[str] | None] = {
    "backtest": frozenset(),
    "data": frozenset({"source"}),
    "feature": None,
    "classifier": None,
    "strategy": frozenset({"signal", "active"}),
    "risk": frozenset({"size", "max_position", "max_drawdown", "long_only", "combine", "rebalance",
                       "stop_loss", "take_profit", "trailing_stop"}),
    "execution": frozenset({"fill", "commission", "slippage"}),
    "portfolio": frozenset({"cash"}),
}
REQUIRED_SETTINGS: dict[str, tuple[str, ...]] = {
    "data": ("source",),
    "strategy": ("signal",),
    "risk": ("size",),
}
COMBINE_RULES = ("sum", "mean", "unanimous")
EXIT_SETTINGS = ("stop_loss", "take_profit", "trailing_stop")  # risk settings, percent of the entry price
DEFAULT_CASH = 1_000_000.0
