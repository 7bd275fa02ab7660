"""Diagnostics are values: every stage returns them, and only the CLI decides how to print them.

A stage makes one with `diagnose(code, span, hint, **fields)`: the severity and the message's
template come from the code's entry in `flowc.dsl.codes`, so no call site chooses either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flowc.dsl.codes import RULES, Severity
from flowc.dsl.source import SourceFile, Span

__all__ = ["Diagnostic", "Fix", "FlowError", "Severity", "diagnose", "did_you_mean", "has_errors", "sort_key"]


@dataclass(frozen=True)
class Fix:
    """A safe, mechanical repair: replace the text of `span` with `replacement`."""

    span: Span
    replacement: str
    title: str


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    severity: Severity = Severity.ERROR
    fix: Fix | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def diagnose(code: str, span: Span | None = None, hint: str | None = None, fix: Fix | None = None,
             **fields: object) -> Diagnostic:
    """The diagnostic of `code`: its message is the code's template filled with `fields`, its severity the code's.

    A code whose messages take several shapes has the template `{detail}`: the site passes the
    whole message as `detail=`. An unknown code or a missing field is a bug and raises.
    """
    rule = RULES[code]
    return Diagnostic(code, rule.message.format(**fields), span, hint, rule.severity, fix)


def error(code: str, message: str, span: Span | None = None, hint: str | None = None,
          fix: Fix | None = None) -> Diagnostic:
    """Deprecated, for code written before `diagnose`: the severity is the code's, whatever the name says."""
    return diagnose(code, span, hint, fix, detail=message) if RULES[code].message == "{detail}" else \
        Diagnostic(code, message, span, hint, RULES[code].severity, fix)


warning = error  # deprecated as well: `tests/dsl/test_diagnose.py` fails on any call of either


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def sort_key(d: Diagnostic) -> tuple:
    """Stable order for printing: by file and position, then code."""
    if d.span is None:
        return ("", 0, 0, d.code, d.message)
    return (d.span.path, d.span.line, d.span.column, d.code, d.message)


class FlowError(Exception):
    """Carries diagnostics out of a stage that cannot go on (for example a file that does not parse).

    The CLI catches it and renders the diagnostics; it never reaches the user as a traceback.
    """

    def __init__(self, diagnostics: Iterable[Diagnostic], sources: Mapping[str, SourceFile] | None = None):
        self.diagnostics = tuple(diagnostics)
        self.sources = dict(sources or {})  # for rendering the source lines
        super().__init__("; ".join(f"{d.code} {d.message}" for d in self.diagnostics))


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean' hint for a misspelt name, or None when nothing is close."""
    import difflib

    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None
