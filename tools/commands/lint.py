"""`flowc lint FILE...`: every diagnostic of each file and of each workflow it declares.

A file's own workflows are analysed and linted one by one (a file with none
is checked for syntax, imports and names), and so is every container and
communication pattern it declares that none of its workflows pairs (bound
as far as it can be without a pairing); the diagnostics are merged,
filtered (`--select`, `--ignore`, `# flowc: ignore[CODE]` comments) and
printed as text, JSON (one document with counts; `json-list`, the bare list,
for one more release) or SARIF. Exit 1 if an error remains, 2 for a usage or
I/O problem. Nothing here imports numba or pandas.
"""

from __future__ import annotations

import argparse
import gc
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from flowc.compiler.lint import PASSES, RUN_PASSES, Pass, lint_workflows, merge_workflows
from flowc.compiler.pipeline import compile_to
from flowc.compiler.scope import collect
from flowc.compiler.workflow import Analysis, analyse_patterns, paired_patterns, workflows_in
from flowc.dsl import ast
from flowc.dsl.codes import RULES
from flowc.dsl.diagnostics import Diagnostic, FlowError, has_errors, sort_key
from flowc.dsl.loader import SourceSet, load
from flowc.dsl.render import render_json, render_json_list, render_text
from flowc.dsl.source import SourceFile
from flowc.tools.exit_codes import EXIT_ERRORS, EXIT_OK, EXIT_USAGE

SUPPRESSION = re.compile(r"flowc:\s*ignore(?:\[([^\]]*)\])?(?![\w\[])")
ALL = frozenset({"FL"})  # the prefix every code starts with: `# flowc: ignore` suppresses all


class UsageError(Exception):
    """A command line that asks for something that does not exist (exit 2)."""


def run_lint(args: argparse.Namespace) -> int:
    with fewer_collections():
        return _lint(args)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often while large ASTs and graphs are alive.

    A file of 10,000 containers holds millions of long-lived objects, which every
    full collection walks again; parse, analyse and lint make little cyclic garbage.
    About a third faster on `benchmarks/lint_scale.py`.
    """
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _lint(args: argparse.Namespace) -> int:
    try:
        select = selectors(args.select)
        ignore = selectors(args.ignore)
    except UsageError as exc:
        sys.stderr.write(f"flowc lint: {exc}\n")
        return EXIT_USAGE
    passes = RUN_PASSES if "FL307" in select else PASSES  # FL307 matters to runs; lint shows it on request
    found: dict[Diagnostic, None] = {}  # ordered and deduplicated: files may share imports
    sources: dict[str, SourceFile] = {}
    modules: dict[str, ast.Module] = {}
    status = EXIT_OK
    for path in args.files:
        try:
            loaded = load(path)
        except FlowError as exc:
            sys.stderr.writelines(f"flowc lint: {d.message}\n" for d in exc.diagnostics)
            status = EXIT_USAGE
            continue
        sources.update(loaded.sources)
        modules.update(loaded.modules)
        found.update(dict.fromkeys(lint_file(loaded, tuple(args.overrides), passes)))
    shown = sorted(keep(found, suppressions(modules), select, ignore), key=sort_key)
    sys.stdout.write(render(shown, sources, args.format, valid=status == EXIT_OK))
    if args.format == "json-list":
        sys.stderr.write("flowc lint: --format json-list is deprecated and goes in the next release; "
                         "--format json prints the same list as `diagnostics`, with counts\n")
    if args.format == "text":
        sys.stderr.write(summary(shown, len(args.files)))
    if status == EXIT_OK and has_errors(shown):
        status = EXIT_ERRORS
    return status


def lint_file(loaded: SourceSet, overrides: tuple[str, ...] = (), passes: Sequence[Pass] = PASSES) -> list[Diagnostic]:
    """The diagnostics of one loaded file: its workflows' (the pipeline to `lint`, each), or its
    declarations' when it has none."""
    scope = collect(loaded)
    names = workflows_in(loaded, scope, loaded.main) if loaded.main_module else []
    if names:
        linted = [compile_to(loaded, "lint", workflow=name, overrides=overrides, lint_passes=passes) for name in names]
        analyses = [c.analyse for c in linted if c.analyse is not None]
        found = merge_workflows([(c.analyse, c.diagnostics) for c in linted if c.analyse is not None])
    else:
        analyses = [Analysis(loaded, scope, diagnostics=[*loaded.diagnostics, *scope.diagnostics])]
        found = lint_workflows(analyses, passes)
    if loaded.main_module is not None and not has_errors([*loaded.diagnostics, *scope.diagnostics]):
        paired = frozenset().union(*(paired_patterns(a) for a in analyses))
        found.extend(d for d in analyse_patterns(loaded, scope, overrides, paired) if d not in found)
    return found


def selectors(values: Iterable[str]) -> frozenset[str]:
    """Codes and prefixes from repeatable, comma-separated options; an unknown one is a usage error."""
    out = set()
    for value in values:
        for item in filter(None, (part.strip().upper() for part in value.split(","))):
            if not re.fullmatch(r"FL\d{0,3}", item) or not any(code.startswith(item) for code in RULES):
                raise UsageError(f"`{item}` is not a code or a prefix of one (e.g. `FL4`, `FL401`)")
            out.add(item)
    return frozenset(out)


def suppressions(modules: dict[str, ast.Module]) -> dict[str, dict[int, frozenset[str]]]:
    """path -> line -> the codes or prefixes a `# flowc: ignore[...]` comment on that line names.

    Only comments count (the parser's scan skips strings), so a file that does
    not parse suppresses nothing: syntax errors always show.
    """
    out: dict[str, dict[int, frozenset[str]]] = {}
    for path, module in modules.items():
        for comment in module.comments:
            match = SUPPRESSION.search(comment.text)
            if match:
                codes = match.group(1)
                out.setdefault(path, {})[comment.span.line] = ALL if codes is None else frozenset(
                    c.strip().upper() for c in codes.split(",") if c.strip())
    return out


def _matches(code: str, prefixes: Iterable[str]) -> bool:
    return any(code.startswith(p) for p in prefixes)


def keep(found: Iterable[Diagnostic], suppressed: dict[str, dict[int, frozenset[str]]],
         select: frozenset[str], ignore: frozenset[str]) -> Iterator[Diagnostic]:
    """The diagnostics that `--select`, `--ignore` and the suppression comments let through."""
    for d in found:
        if (select and not _matches(d.code, select)) or _matches(d.code, ignore):
            continue
        if d.span is not None and _matches(d.code, suppressed.get(d.span.path, {}).get(d.span.line, ())):
            continue
        yield d


def render(diagnostics: Sequence[Diagnostic], sources: dict[str, SourceFile], fmt: str, valid: bool = True) -> str:
    """`valid` is false when a file could not be read: the JSON document then says so."""
    if fmt == "json":
        return render_json(diagnostics, valid)
    if fmt == "json-list":
        return render_json_list(diagnostics)
    if fmt == "sarif":
        from flowc.dsl.sarif import render_sarif
        from flowc.dsl.version import version

        return render_sarif(diagnostics, version())
    return render_text(diagnostics, sources, color=sys.stdout.isatty())


def summary(diagnostics: Sequence[Diagnostic], files: int) -> str:
    if not diagnostics:
        return f"flowc lint: {files} file{'s' if files != 1 else ''} checked, no problems\n"
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    return f"flowc lint: {_count(errors, 'error')}, {_count(warnings, 'warning')}\n"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"
