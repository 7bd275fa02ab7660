"""Safe fixes: the compiler's own `Diagnostic.fix`, and the rename a "did you mean" hint proposes.

A fix is offered only where it is mechanical. The compiler attaches a `Fix` to
the syntax errors it can repair; for the name errors whose hint is a single
"did you mean `X`?", replacing the misspelt name (the identifier the diagnostic's
span starts with, which its message quotes) by `X` is the whole repair.
"""

from __future__ import annotations

import re

from flowc.dsl.diagnostics import Diagnostic, Fix
from flowc.dsl.source import Span

# Codes whose "did you mean" is a rename of the name the span starts with.
RENAMES = frozenset({"FL201", "FL205", "FL207", "FL208", "FL210", "FL211", "FL501", "FL503", "FL504", "FL505",
                     "FL509", "FL510"})
_DID_YOU_MEAN = re.compile(r"^did you mean `([^`]+)`\?$")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*")


def fix_of(diagnostic: Diagnostic, text: str) -> Fix | None:
    """The safe fix of a diagnostic in the file whose text is `text`, or None."""
    if diagnostic.fix is not None:
        return diagnostic.fix
    span = diagnostic.span
    if diagnostic.code not in RENAMES or span is None or not diagnostic.hint:
        return None
    suggestion = _DID_YOU_MEAN.match(diagnostic.hint)
    if suggestion is None:
        return None
    written = _NAME.match(text, span.start, max(span.end, span.start))
    if written is None:
        return None
    name = written.group()
    if f"`{name}`" not in diagnostic.message and f"`{name.replace(' ', '')}`" not in diagnostic.message:
        return None
    replacement = suggestion.group(1)
    end = written.end()
    return Fix(Span(span.path, span.line, span.column, span.line, span.column + end - span.start, span.start, end),
               replacement, f"replace `{name}` with `{replacement}`")
