"""`flowc patterns [FILE...]`: the pattern registry, one row per workflow.

The registry is every workflow of the given files and of the files they
import; with no file, the standard library's. A table through rich on a
terminal, plain aligned columns otherwise (pipes, tests, `grep`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

from flowc.compiler.scope import collect
from flowc.dsl import ast
from flowc.dsl.diagnostics import Diagnostic, FlowError, has_errors
from flowc.dsl.loader import STD_PREFIX, SourceSet, load, load_text, std_files
from flowc.dsl.render import render_text
from flowc.dsl.source import SourceFile
from flowc.tools.exit_codes import EXIT_ERRORS, EXIT_OK, EXIT_USAGE

HEADERS = ("name", "description", "containers", "communication", "file")


@dataclass(frozen=True)
class Entry:
    name: str
    description: str
    containers: str
    communication: str
    file: str


def run_patterns(files: Sequence[str]) -> int:
    loaded: list[SourceSet] = []
    status = EXIT_OK
    if not files:
        std = "\n".join(f'import "{name}"' for name in std_files())
        loaded.append(load_text(std, "<std>"))
    for path in files:
        try:
            loaded.append(load(path))
        except FlowError as exc:
            sys.stderr.writelines(f"flowc patterns: {d.message}\n" for d in exc.diagnostics)
            status = EXIT_USAGE
    entries: dict[tuple[str, str], Entry] = {}
    problems: dict[Diagnostic, None] = {}  # files may share imports: each problem once
    texts: dict[str, SourceFile] = {}
    for sources in loaded:
        problems.update(dict.fromkeys(sources.diagnostics))
        texts.update(sources.sources)
        for entry in registry(sources):
            entries.setdefault((entry.name, entry.file), entry)
    if problems:
        sys.stderr.write(render_text(problems, texts))
    rows = sorted(entries.values(), key=lambda e: (e.name, e.file))
    sys.stdout.write(rich_table(rows) if sys.stdout.isatty() else plain_table(rows))
    if status == EXIT_OK and has_errors(problems):
        status = EXIT_ERRORS
    return status


def registry(sources: SourceSet) -> list[Entry]:
    """The workflows of a loaded file and its imports, in load order."""
    scope = collect(sources)
    return [Entry(name, decl.description or "", _setting(decl, "containers"), _setting(decl, "communication"),
                  shown(scope.workflow_files[name]))
            for name, decl in scope.workflows.items()]


def _setting(decl: ast.WorkflowDecl, name: str) -> str:
    for item in decl.items:
        if isinstance(item, ast.WorkflowSetting) and item.name == name and isinstance(item.value, ast.Name):
            return item.value.id
    return "-"


def shown(path: str) -> str:
    """Standard-library files as users import them: `std/simple_backtest.flow`."""
    return STD_PREFIX + path[len("<std>/"):] if path.startswith("<std>/") else path


def plain_table(rows: Sequence[Entry]) -> str:
    cells = [HEADERS] + [(e.name, e.description, e.containers, e.communication, e.file) for e in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(HEADERS))]
    return "".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n"
                   for row in cells)


def rich_table(rows: Sequence[Entry]) -> str:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="pattern registry")
    for header in HEADERS:
        table.add_column(header)
    for e in rows:
        table.add_row(e.name, e.description, e.containers, e.communication, e.file)
    console = Console()
    with console.capture() as captured:
        console.print(table)
    return captured.get()
