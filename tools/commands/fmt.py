"""`flowc fmt`: rewrite `.flow` files in the canonical style, or check that they already are.

Exit codes as in `flowc.tools.exit_codes`: 0 nothing to change, 1 a file would change (with
`--check` or `--diff`) or does not parse, 2 a file could not be read or written. A file
is rewritten only when its text changes, through a temporary file in the same directory
and `os.replace`, so an interrupted run never leaves a half-written file; it is written
as UTF-8 with LF line ends (a byte-order mark or CRLF line ends count as a change). This module
imports only the front end: formatting must start fast (no numba, no pandas).
"""

from __future__ import annotations

import difflib
import os
import re
import sys
import tempfile
from collections.abc import Iterable

from flowc.dsl.diagnostics import FlowError
from flowc.dsl.files import read_regular
from flowc.dsl.formatter import format_source
from flowc.dsl.parser import decode
from flowc.dsl.source import SourceFile
from flowc.tools.cli import print_diagnostics
from flowc.tools.exit_codes import EXIT_ERRORS, EXIT_OK, EXIT_USAGE

_LINES = re.compile(r"[^\n]*\n|[^\n]+\Z")  # unlike str.splitlines, only `\n` ends a line


def run_fmt(files: Iterable[str], *, check: bool = False, diff: bool = False) -> int:
    """Format each file in place, or with `check`/`diff` only report; returns the worst exit code."""
    return max((_fmt_one(path, check=check, diff=diff) for path in files), default=EXIT_OK)


def _fmt_one(path: str, *, check: bool, diff: bool) -> int:
    try:
        data = read_regular(path)
    except OSError as exc:
        sys.stderr.write(f"flowc: cannot read {path}: {exc.strerror or exc}\n")
        return EXIT_USAGE
    try:
        text = decode(data, path)
    except FlowError as exc:
        return _report(exc, SourceFile(path, data.decode("utf-8", errors="replace")))
    try:
        formatted = format_source(text, path)
    except FlowError as exc:
        return _report(exc, SourceFile(path, text))
    if formatted.encode("utf-8") == data:
        return EXIT_OK
    if diff:
        sys.stdout.write(_unified_diff(text, formatted, path))
    if check or diff:
        if check:
            sys.stdout.write(f"would reformat {path}\n")
        return EXIT_ERRORS
    try:
        _replace(path, formatted)
    except OSError as exc:
        sys.stderr.write(f"flowc: cannot write {path}: {exc.strerror or exc}\n")
        return EXIT_USAGE
    sys.stdout.write(f"reformatted {path}\n")
    return EXIT_OK


def _report(exc: FlowError, source: SourceFile) -> int:
    print_diagnostics(exc.diagnostics, {source.path: source, **exc.sources})
    return EXIT_ERRORS


def _unified_diff(old: str, new: str, path: str) -> str:
    lines = difflib.unified_diff(_LINES.findall(old), _LINES.findall(new), fromfile=path,
                                 tofile=f"{path} (formatted)")
    return "".join(line if line.endswith("\n") else f"{line}\n\\ No newline at end of file\n"
                   for line in lines)


def _replace(path: str, text: str) -> None:
    """Write `text` to `path` atomically, keeping the file's permissions."""
    directory = os.path.dirname(os.path.abspath(path))
    mode = os.stat(path).st_mode & 0o7777
    fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise
