"""Formatting through `flowc fmt`'s formatter, as the few line edits that turn the buffer into its output.

Edits, rather than one replacement of the whole text, keep the cursor and the
folds of the lines that do not change. A buffer that does not parse is left as
it is (the syntax error is already a diagnostic).
"""

from __future__ import annotations

import difflib
import re

from lsprotocol import types as lsp

from flowc.dsl.formatter import format_module

_LINES = re.compile(r"[^\n]*\n|[^\n]+\Z")


def formatting_edits(snapshot) -> list[lsp.TextEdit] | None:
    """The edits that format the buffer; None when it does not parse."""
    if not snapshot.parsed.ok:
        return None
    old = snapshot.source_text
    new = format_module(snapshot.module, old)
    if new == old:
        return []
    old_lines, new_lines = _LINES.findall(old), _LINES.findall(new)
    starts = [0]
    for line in old_lines:
        starts.append(starts[-1] + len(line))
    edits = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            edits.append(lsp.TextEdit(snapshot.lines.range(starts[i1], starts[i2]), "".join(new_lines[j1:j2])))
    return edits
