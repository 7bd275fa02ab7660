"""The catalogue of diagnostic codes: one definition per code, grouped by its first digit.

A code's `Rule` holds everything about it but its page: the name, the severity (the only place a
diagnostic's severity comes from), a one-line summary and the template of its message, which
`flowc.dsl.diagnostics.diagnose` fills in. Each code has a page `rules/<CODE>.md` (what it does,
why, a bad and a good example) that `flowc rule CODE` prints and the docs link to; the test suite
runs every page's example and checks that it gives its code.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from importlib import resources


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


E, W = Severity.ERROR, Severity.WARNING
DETAIL = "{detail}"  # the template of a code whose messages take several shapes: each site writes its own


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str
    message: str = DETAIL  # a `str.format` template; its fields are the keyword arguments of `diagnose`


_RULES = [
    # FL1xx: syntax, lexing, encoding
    Rule("FL101", "unexpected-token", E, "the text does not fit the grammar here"),
    Rule("FL102", "unexpected-end-of-file", E, "the file ends inside a block or statement"),
    Rule("FL103", "invalid-character", E, "a character that no token of the language starts with"),
    Rule("FL104", "invalid-encoding", E, "the file is not valid UTF-8"),
    Rule("FL105", "misspelt-keyword", E, "a word where a keyword belongs, close to one"),
    Rule("FL106", "assignment-for-colon", E, "`=` written where the grammar needs `:`"),
    Rule("FL107", "wrong-arrow", E, "`=>` and `->` confused"),
    Rule("FL108", "unterminated-string", E, "a string literal with no closing quote",
         "unterminated string: there is no closing `\"` before the end of the line"),
    Rule("FL109", "nesting-too-deep", E, "blocks or expressions nested deeper than the limit"),
    Rule("FL110", "missing-closing-brace", E, "a block opened with `{` is never closed"),
    Rule("FL111", "name-too-long", E, "a name longer than the limit of 128 characters"),
    # FL2xx: names and imports
    Rule("FL201", "unknown-name", E, "a name that nothing declares"),
    Rule("FL202", "duplicate-definition", E, "a name declared twice in one namespace"),
    Rule("FL203", "import-cycle", E, "files that import each other in a cycle",
         "import cycle: {cycle}"),
    Rule("FL204", "import-not-found", E, "an imported file that does not exist or is not a regular file"),
    Rule("FL205", "unknown-container", E, "a route names a container the pattern does not have",
         "the container pattern `{pattern}` has no container `{name}`"),
    Rule("FL206", "ambiguous-container", E, "a container name used by several containers"),
    Rule("FL207", "unknown-pattern", E, "a workflow names a pattern that is not declared",
         "there is no {kind} `{name}`"),
    Rule("FL208", "unknown-workflow", E, "the workflow asked for is not in the registry"),
    Rule("FL209", "name-not-delivered", E, "a setting reads a name that no incoming route delivers"),
    Rule("FL210", "unknown-event", E, "an event type that is neither built in nor declared",
         "unknown event `{name}`"),
    Rule("FL211", "unknown-role", E, "a role that is neither built in nor declared",
         "unknown role `{name}`"),
    # FL3xx: roles and events
    Rule("FL301", "cannot-produce", E, "a route's source role cannot produce its event",
         "`{source}` ({role}) cannot produce {event}"),
    Rule("FL302", "cannot-consume", E, "a route's target role cannot consume its event",
         "`{target}` ({role}) cannot consume {event}"),
    Rule("FL303", "empty-pipeline-hop", E, "a pipeline hop where no event fits both roles",
         "nothing that `{source}` ({source_role}) produces can `{target}` ({target_role}) consume"),
    Rule("FL304", "missing-required-input", E, "a container lacks an input its role needs to run"),
    Rule("FL305", "invalid-root", E, "a container pattern needs exactly one root container"),
    Rule("FL306", "ambiguous-input", E, "one name or value arrives from several sources"),
    Rule("FL307", "role-not-runnable", E, "a container whose role has no run-time behaviour"),
    # FL4xx: graph structure
    Rule("FL401", "algebraic-loop", E, "a cycle of routes with no feedback route on it"),
    Rule("FL402", "unreachable-container", W, "a container no data container reaches",
         "`{path}` ({role}) is unreachable: no route from a data container reaches it"),
    Rule("FL403", "output-reaches-no-portfolio", W, "a container whose output never reaches a portfolio",
         "the output of `{path}` ({role}) never reaches a portfolio"),
    Rule("FL404", "event-never-consumed", W, "an event a container produces that no route carries",
         "`{path}` ({role}) produces {event}, and no route carries it"),
    Rule("FL405", "feedback-closes-no-cycle", W, "a feedback route that is on no cycle",
         "the feedback route `{source} -> {target} : {event}` closes no cycle: `{target}` does not reach `{source}`"),
    Rule("FL406", "same-bar-fill", W, "an order filled at the close of the bar whose close, high or low decided it",
         "`{execution}` fills the orders of `{risk}` at the close of the bar whose {field} `{container}.{setting}` "
         "read to decide them: a same-bar look-ahead"),
    # FL5xx: parameters, settings and components
    Rule("FL501", "type-mismatch", E, "a value of the wrong type"),
    Rule("FL502", "wrong-arity", E, "a component called with the wrong number of arguments"),
    Rule("FL503", "unknown-component", E, "a call of a component the role's setting does not have"),
    Rule("FL504", "unknown-setting", E, "a setting the container's role does not have"),
    Rule("FL505", "sweep-unknown-param", E, "a sweep over a parameter that is not declared",
         "`sweep {param}`: there is no param `{param}`"),
    Rule("FL506", "unused-param", W, "a parameter nothing reads",
         "the param `{name}` is never read"),
    Rule("FL507", "unused-feature", W, "a feature no container reads",
         "the feature `{setting}` of `{path}` is never read"),
    Rule("FL508", "missing-setting", E, "a setting the role requires is absent"),
    Rule("FL509", "invalid-value", E, "a value outside what the setting accepts"),
    Rule("FL510", "unknown-keyword-argument", E, "a keyword argument the component does not take"),
    Rule("FL511", "bad-override", E, "a `--set NAME=VALUE` that names no param or has the wrong type"),
    Rule("FL512", "look-ahead-lag", E, "a lag of `shift`, `diff` or `pct_change` below 1, which would read the future"),
    Rule("FL513", "invalid-symbol-read", E, "a `name@SYMBOL` read of what has no value at another symbol"),
    Rule("FL514", "invalid-cross-section", E,
         "a cross-sectional operator inside another's argument or in a route predicate"),
    # FL6xx: data and run time
    Rule("FL601", "file-not-found", E, "a data file that does not exist or cannot be read"),
    Rule("FL602", "missing-column", E, "a data file without a required column"),
    Rule("FL603", "non-finite-value", E, "a NaN, infinite or unparseable value in the data"),
    Rule("FL604", "unsorted-timestamps", E, "timestamps that are not strictly increasing"),
    Rule("FL605", "non-positive-price", E, "a price that is zero or negative"),
    Rule("FL606", "high-below-low", E, "a bar whose high is below its low"),
    Rule("FL607", "empty-data", E, "a data source with no bars"),
    Rule("FL608", "negative-volume", E, "a bar with negative volume"),
    Rule("FL609", "duplicate-symbol", E, "two data sources with the same symbol",
         "the symbol `{name}` comes from {n} data sources"),
    Rule("FL610", "periods-per-year-required", E, "bars more than a day apart need `periods_per_year`"),
    Rule("FL611", "run-failed", E, "the run stopped on a condition the program reported"),
    Rule("FL612", "window-never-fills", W, "a window longer than the data: its setting is never defined"),
    Rule("FL613", "signal-never-defined", E, "every signal waits for a window longer than the data"),
    Rule("FL614", "no-walk-forward-window", E, "a walk-forward whose train window leaves no bar to test on"),
    Rule("FL615", "data-gap", W, "a gap between two bars far longer than the data's usual spacing"),
    Rule("FL616", "unknown-symbol", E, "a `name@SYMBOL` read of a symbol that no data source has",
         "`{name}@{symbol}` reads the symbol `{symbol}`, which no data source has"),
    Rule("FL617", "coarse-bar-stamped-early", W,
         "coarser bars stamped at the start of their period, read before it closed"),
    Rule("FL618", "unfilled-in-book", W, "a risk container whose book counts orders that never filled",
         "`{risk}` counts in its book {units} units it sent that never filled ({kinds}), and sizes its later "
         "orders against them"),
    # FL9xx: style
    Rule("FL901", "not-formatted", W, "the file differs from what `flowc fmt` writes"),
    Rule("FL902", "naming-convention", W, "a name that is not snake_case (events: UPPER_CASE)",
         "the {kind} `{name}` is not {style}"),
]

RULES: dict[str, Rule] = {rule.code: rule for rule in _RULES}


def rule_page(code: str) -> str | None:
    """The documentation page of a code (Markdown), or None for an unknown code."""
    if code.upper() not in RULES:
        return None
    page = resources.files("flowc.dsl").joinpath("rules", f"{code.upper()}.md")
    return page.read_text(encoding="utf-8") if page.is_file() else None
