"""Renderers of diagnostics: rustc/ruff-style text with the source line and a caret, or JSON.

The JSON document is an envelope in the manner of `terraform validate -json`: a format version,
whether the input is valid, the counts, and the diagnostics. SARIF is in `sarif.py`; all
renderers read the same Diagnostic values.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from flowc.dsl.codes import RULES
from flowc.dsl.diagnostics import Diagnostic, sort_key
from flowc.dsl.source import SourceFile


def render_text(diagnostics: Iterable[Diagnostic], sources: Mapping[str, SourceFile],
                color: bool = False) -> str:
    """Every diagnostic as `path:line:col: CODE message`, the source line, a caret, the hint."""
    return "".join(_render_one(d, sources, color) for d in sorted(diagnostics, key=sort_key))


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def _render_one(d: Diagnostic, sources: Mapping[str, SourceFile], color: bool) -> str:
    severity = "" if d.is_error else "warning: "
    head_code = _paint(d.code, "1;31" if d.is_error else "1;33", color)
    if d.span is None:
        out = [f"{head_code} {severity}{d.message}\n"]
        if d.hint:
            out.append(f"  = hint: {d.hint}\n")
        return "".join(out)
    span = d.span
    out = [f"{span.path}:{span.line}:{span.column}: {head_code} {severity}{d.message}\n"]
    source = sources.get(span.path)
    line_text = source.line_text(span.line) if source else ""
    if source is not None and (line_text or span.line <= 1 or span.column > 1):
        gutter = len(str(span.line))
        shown = line_text.expandtabs(4)
        start = len(line_text[: span.column - 1].expandtabs(4))
        if span.end_line == span.line:
            end = len(line_text[: max(span.end_column - 1, span.column)].expandtabs(4))
        else:
            end = len(shown)
        width = max(1, end - start)
        pad = " " * gutter
        out.append(f"{pad} |\n{span.line} | {shown}\n")
        out.append(f"{pad} | {' ' * start}{_paint('^' * width, '1;31' if d.is_error else '1;33', color)}\n")
        if d.hint:
            out.append(f"{pad} = hint: {d.hint}\n")
    elif d.hint:
        out.append(f"  = hint: {d.hint}\n")
    return "".join(out)


def to_json(d: Diagnostic) -> dict:
    """One diagnostic as the flat object of `flowc lint --format json`."""
    span = d.span
    rule = RULES.get(d.code)
    return {
        "code": d.code,
        "name": rule.name if rule else None,
        "severity": d.severity.value,
        "message": d.message,
        "hint": d.hint,
        "path": span.path if span else None,
        "line": span.line if span else None,
        "column": span.column if span else None,
        "end_line": span.end_line if span else None,
        "end_column": span.end_column if span else None,
        "fix": {"replacement": d.fix.replacement, "title": d.fix.title} if d.fix else None,
    }


# "MAJOR.MINOR", as Terraform's: a new field raises the minor number (readers ignore fields they do not
# know), a field removed or changed in meaning raises the major one (readers check it).
JSON_FORMAT_VERSION = "1.0"


def json_document(diagnostics: Iterable[Diagnostic], valid: bool | None = None) -> dict:
    """The envelope of `flowc lint --format json`; `valid` defaults to "no error among the diagnostics"."""
    shown = sorted(diagnostics, key=sort_key)
    errors = sum(d.is_error for d in shown)
    return {
        "format_version": JSON_FORMAT_VERSION,
        "valid": errors == 0 if valid is None else valid and errors == 0,
        "error_count": errors,
        "warning_count": len(shown) - errors,
        "diagnostics": [to_json(d) for d in shown],
    }


def render_json(diagnostics: Iterable[Diagnostic], valid: bool | None = None) -> str:
    """The JSON document of `flowc lint --format json` (see `json_document`)."""
    return json.dumps(json_document(diagnostics, valid), indent=2) + "\n"


def render_json_list(diagnostics: Iterable[Diagnostic]) -> str:
    """The bare list of `--format json-list`, the JSON format of 0.1: deprecated, goes in the next release."""
    return json.dumps([to_json(d) for d in sorted(diagnostics, key=sort_key)], indent=2) + "\n"
