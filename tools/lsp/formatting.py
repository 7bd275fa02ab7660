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
    return [lsp.TextEdit(snapshot.lines.range(starts[i1], starts[i2]), "".join(new_lines[j1:j2]))
            for i1, i2, j1, j2 in changed_blocks(old_lines, new_lines)]


DIFF_LINES = 2000  # difflib is quadratic: beyond this many lines that differ, a cheaper alignment


def changed_blocks(old: list[str], new: list[str]) -> list[tuple[int, int, int, int]]:
    """(i1, i2, j1, j2) for each block of `old[i1:i2]` to replace by `new[j1:j2]`, in linear time past DIFF_LINES.

    The common first and last lines are left out; what remains goes through difflib when small.
    A large remainder with as many lines on both sides (the formatter changes lines in place) is
    compared line by line; otherwise it is one block.
    """
    head = 0
    while head < len(old) and head < len(new) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < len(old) - head and tail < len(new) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    a, b = old[head:len(old) - tail], new[head:len(new) - tail]
    if not a and not b:
        return []
    if max(len(a), len(b)) <= DIFF_LINES:
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        return [(head + i1, head + i2, head + j1, head + j2)
                for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]
    if len(a) != len(b):
        return [(head, head + len(a), head, head + len(b))]
    blocks: list[tuple[int, int, int, int]] = []
    start = None
    for k in range(len(a) + 1):
        differs = k < len(a) and a[k] != b[k]
        if differs and start is None:
            start = k
        elif not differs and start is not None:
            blocks.append((head + start, head + k, head + start, head + k))
            start = None
    return blocks
