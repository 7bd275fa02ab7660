"""The compiler's diagnostics as protocol diagnostics: code, link to the rule page, severity, fix.

A diagnostic in a file the document imports is shown on the document's import
statement that brings that file in, with the real place as related information,
so that a broken import is visible where it is written.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from lsprotocol import types as lsp

from flowc.dsl import ast
from flowc.dsl.diagnostics import Diagnostic
from flowc.tools.lsp.actions import fix_of
from flowc.tools.lsp.paths import import_target, uri_of
from flowc.tools.lsp.positions import LineIndex

SOURCE = "flowc"
UNNECESSARY = frozenset({"FL402", "FL506", "FL507"})


@cache
def rule_uri(code: str) -> str | None:
    """A link to the rule's page (the Markdown file `flowc rule CODE` prints)."""
    page = resources.files("flowc.dsl").joinpath("rules", f"{code}.md")
    try:
        return Path(str(page)).resolve().as_uri() if page.is_file() else None
    except (OSError, TypeError, ValueError):
        return None


def to_lsp(snapshot, diagnostics: list[Diagnostic] | None = None) -> list[lsp.Diagnostic]:
    """The protocol diagnostics of a snapshot (by default, what `flowc lint` reports for it)."""
    found = snapshot.diagnostics if diagnostics is None else diagnostics
    importers = _importers(snapshot)
    out = []
    for d in found:
        if d.span is None or d.span.path == snapshot.key:
            out.append(_diagnostic(snapshot, d))
        else:
            via = importers.get(d.span.path)
            out.append(_elsewhere(snapshot, d, via))
    return out


def _diagnostic(snapshot, d: Diagnostic) -> lsp.Diagnostic:
    lines: LineIndex = snapshot.lines
    rng = lines.span_range(d.span) if d.span is not None else lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))
    fix = fix_of(d, snapshot.source_text) if d.span is not None else None
    data = None
    if fix is not None:
        data = {"fix": {"title": fix.title, "newText": fix.replacement,
                        "range": _range_json(lines.span_range(fix.span))}}
    return _make(d, rng, data=data)


def _elsewhere(snapshot, d: Diagnostic, via: ast.Import | None) -> lsp.Diagnostic:
    lines: LineIndex = snapshot.lines
    rng = lines.span_range(via.span) if via is not None else lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))
    related = None
    uri = uri_of(d.span.path)
    source = snapshot.sources.sources.get(d.span.path)
    if uri is not None and source is not None:
        other = LineIndex(source.text, lines.encoding)
        related = [lsp.DiagnosticRelatedInformation(lsp.Location(uri, other.span_range(d.span)), d.message)]
    return _make(d, rng, prefix=f"in {d.span.path}:{d.span.line}:{d.span.column}: ", related=related)


def _make(d: Diagnostic, rng: lsp.Range, prefix: str = "", data=None, related=None) -> lsp.Diagnostic:
    href = rule_uri(d.code)
    message = prefix + d.message + (f"\nhint: {d.hint}" if d.hint else "")
    return lsp.Diagnostic(
        range=rng, message=message, code=d.code, source=SOURCE,
        severity=lsp.DiagnosticSeverity.Error if d.is_error else lsp.DiagnosticSeverity.Warning,
        code_description=lsp.CodeDescription(href=href) if href else None,
        tags=[lsp.DiagnosticTag.Unnecessary] if d.code in UNNECESSARY else None,
        related_information=related, data=data)


def _range_json(rng: lsp.Range) -> dict:
    return {"start": {"line": rng.start.line, "character": rng.start.character},
            "end": {"line": rng.end.line, "character": rng.end.character}}


def _importers(snapshot) -> dict[str, ast.Import]:
    """Each loaded file -> the import statement of the document that (directly or not) loads it."""
    out: dict[str, ast.Import] = {}
    modules = snapshot.sources.modules
    for decl in snapshot.module.declarations:
        if not isinstance(decl, ast.Import):
            continue
        stack = [import_target(snapshot.key, decl.path)]
        while stack:
            key = stack.pop()
            if key in out or key == snapshot.key:
                continue
            out[key] = decl
            module = modules.get(key)
            if module is not None:
                stack.extend(import_target(key, d.path) for d in module.declarations if isinstance(d, ast.Import))
    return out
