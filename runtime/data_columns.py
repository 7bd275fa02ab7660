"""Which column of a data file holds which field of a bar: found by name, or named by the source.

Why it exists: files in the wild name their columns as their exporter likes (`Date`, `Adj Close`,
`Vol.`). A column is found by its name in any letter case (the timestamp also as `date`,
`datetime` or `time` when the file has exactly one of them); a source can name any of them
itself, `csv("spx.csv", timestamp = "Day", close = "Last")`, and choose adjusted prices with
`adjusted = true`, which reads the adjusted close (a column `Adj Close`, `adj_close`,
`adjclose`, `Adjusted Close` or `adjusted_close`, or the one `adj_close = "..."` names) and
scales the bar by it (`adjust`). A name the file does not have is FL602 at the source, with the
file's columns and the nearest of them as the hint.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from flowc.dsl.diagnostics import Diagnostic, FlowError, diagnose, did_you_mean
from flowc.dsl.source import Span

COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")
TIMESTAMP_ALIASES = ("datetime", "date", "time")  # the names exports from Yahoo, Stooq, brokers give it
ADJ_CLOSE_ALIASES = ("adj close", "adj_close", "adjclose", "adjusted close", "adjusted_close")
ADJ_CLOSE = "adj_close"  # the adjusted close's key among a table's columns
COLUMNS_HINT = ("the columns are timestamp (or one of date, datetime, time), open, high, low, close, volume "
                "(any letter case; other columns are ignored); a source can name them, "
                "`csv(path, close = \"Last\")`")
_COLUMN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_ .()%-]{0,39}\Z")


@dataclass(frozen=True)
class ColumnMap:
    """The column names a source gives (`field -> name in the file`) and whether it wants adjusted prices."""

    given: tuple[tuple[str, str], ...] = ()
    adjusted: bool = False
    adj_close: str | None = None  # the adjusted close's column, if the source names it

    @classmethod
    def of(cls, args: Mapping[str, object], span: Span | None = None) -> ColumnMap:
        """The mapping of a source's arguments (`csv(path, close = "Last", adjusted = true)`)."""
        given = tuple((field, str(args[field])) for field in COLUMNS if args.get(field) is not None)
        adj = args.get(ADJ_CLOSE)
        adjusted = bool(args.get("adjusted"))
        if adj is not None and not adjusted:
            raise FlowError([diagnose("FL509", span, "add `adjusted = true`, or leave out `adj_close`",
                                      detail=f"`adj_close = \"{adj}\"` names the adjusted close, which only "
                                             "`adjusted = true` reads")])
        return cls(given, adjusted, None if adj is None else str(adj))

    @property
    def key(self) -> str:
        """What the mapping changes in the checked arrays, for the cache of checked bars ("" for none)."""
        if not self.given and not self.adjusted:
            return ""
        return repr((self.given, self.adjusted, self.adj_close))


def _shown_columns(found: Sequence[object]) -> str:
    plain = [n for n in map(str, found) if _COLUMN_NAME.match(n)]
    has = ", ".join(f"`{n}`" for n in plain[:12]) + (", ..." if len(plain) > 12 else "")
    hidden = len(found) - len(plain)  # a header that is not one (`/etc/passwd`) is not quoted
    if hidden:
        has = (has + " and " if has else "") + (f"{hidden} columns whose names are not shown" if hidden > 1
                                             else "1 column whose name is not shown")
    return has or "no columns"


def match_columns(found: Sequence[object], shown: str, unit: str, wanted: Sequence[str], span: Span | None,
                  holder: str = "file", mapping: ColumnMap | None = None) -> dict[str, str]:
    """Map each wanted column (and the adjusted close, with `mapping.adjusted`) to its name in the
    file: the name the source gives, else the field's own name in any letter case; FL602 if any
    is missing. `holder` names what has the columns in the message (a `file`, or a `DataFrame`)."""
    mapping = mapping or ColumnMap()
    names: dict[str, str] = {}
    for name in map(str, found):
        names.setdefault(name.strip().lower(), name)
    where = " line 1 (the header)" if unit == "line" else ""
    problems: list[Diagnostic] = []
    chosen: dict[str, str] = {}

    def named(field: str, given: str, setting: str) -> None:
        exact = given if given in map(str, found) else names.get(given.strip().lower())
        if exact is not None:
            chosen[field] = exact
            return
        problems.append(diagnose("FL602", span, did_you_mean(given, list(map(str, found))) or COLUMNS_HINT,
                                 detail=f"`{shown}`{where}: no column `{given}` (named by `{setting} = "
                                        f"\"{given}\"`); the {holder} has {_shown_columns(found)}"))

    for field, given in mapping.given:
        named(field, given, field)
    if mapping.adjusted and mapping.adj_close is not None:
        named(ADJ_CLOSE, mapping.adj_close, ADJ_CLOSE)
    if problems:
        raise FlowError(problems)
    aliases = [a for a in TIMESTAMP_ALIASES if a in names]
    if "timestamp" not in names and len(aliases) == 1:  # one is unambiguous; `date` beside `time` is not
        names["timestamp"] = names[aliases[0]]
    for field in wanted:
        if field not in chosen and field in names:
            chosen[field] = names[field]
    missing = [c for c in wanted if c not in chosen]
    if missing:
        what = "column" if len(missing) == 1 else "columns"
        raise FlowError([diagnose("FL602", span, COLUMNS_HINT,
                                  detail=f"`{shown}`{where}: no {what} {', '.join(f'`{c}`' for c in missing)}; "
                                         f"the {holder} has {_shown_columns(found)}")])
    if mapping.adjusted and ADJ_CLOSE not in chosen:
        found_adj = [names[a] for a in ADJ_CLOSE_ALIASES if a in names]
        if len(found_adj) != 1:
            which = "no adjusted close column" if not found_adj else \
                f"{len(found_adj)} adjusted close columns ({', '.join(f'`{n}`' for n in found_adj)})"
            raise FlowError([diagnose("FL602", span, "name the column with `adj_close = \"...\"`",
                                      detail=f"`{shown}`{where}: `adjusted = true` reads the adjusted close, and "
                                             f"the {holder} has {which}; it has {_shown_columns(found)}")])
        chosen[ADJ_CLOSE] = found_adj[0]
    return {c: chosen[c] for c in (*wanted, *([ADJ_CLOSE] if mapping.adjusted else []))}


def adjust(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Adjusted bars: `f = adj_close / close`, then `open * f`, `high * f`, `low * f`, and the close
    is the adjusted close itself; volume as it is (docs/language.md, section 4). Without an
    adjusted close, the values as they are."""
    if ADJ_CLOSE not in values:
        return values
    factor = values[ADJ_CLOSE] / values["close"]
    out = {k: v for k, v in values.items() if k != ADJ_CLOSE}
    out.update(open=values["open"] * factor, high=values["high"] * factor, low=values["low"] * factor,
               close=values[ADJ_CLOSE].copy())
    return out
