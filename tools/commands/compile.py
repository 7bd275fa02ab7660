"""`flowc graph` and `flowc compile --emit STAGE`: the printable form of each stage of the compiler.

`ast` needs only a file that parses; `graph`, `dot` and `mermaid` need an
analysis without errors (lint problems such as an algebraic loop are drawn,
not refused: seeing them is the point); `plan` and `py` need a workflow that
would run, so they also run the lint passes, FL307 included.
"""

from __future__ import annotations

import argparse
import sys

from flowc.compiler.export import ast_text, graph_text, to_dot, to_mermaid
from flowc.compiler.workflow import Analysis, analyse
from flowc.dsl.diagnostics import Diagnostic, FlowError, has_errors
from flowc.dsl.loader import SourceSet, load
from flowc.dsl.render import render_text
from flowc.dsl.source import SourceFile
from flowc.tools.exit_codes import EXIT_ERRORS, EXIT_OK, EXIT_USAGE

DRAWINGS = {"dot": to_dot, "mermaid": to_mermaid, "graph": graph_text}


def run_graph(args: argparse.Namespace) -> int:
    return _emit_graph(args, args.format)


def run_compile(args: argparse.Namespace) -> int:
    if args.emit == "ast":
        sources = _load(args.file)
        if sources is None:
            return EXIT_USAGE
        if _report(sources.diagnostics, sources.sources) or sources.main_module is None:
            return EXIT_ERRORS
        sys.stdout.write(ast_text(sources.main_module))
        return EXIT_OK
    if args.emit in DRAWINGS:
        return _emit_graph(args, args.emit)
    return _emit_program(args)


def _emit_graph(args: argparse.Namespace, form: str) -> int:
    analysis = _analysis(args)
    if not isinstance(analysis, Analysis):
        return analysis
    assert analysis.graph is not None
    sys.stdout.write(DRAWINGS[form](analysis.graph))
    return EXIT_OK


def _emit_program(args: argparse.Namespace) -> int:
    from flowc.compiler.codegen import generate
    from flowc.compiler.lint import RUN_PASSES, lint
    from flowc.compiler.plan import build_plan

    analysis = _analysis(args)
    if not isinstance(analysis, Analysis):
        return analysis
    sources = analysis.sources.sources
    if _report(lint(analysis, RUN_PASSES), sources):
        return EXIT_ERRORS
    plan, problems = build_plan(analysis, hoist=not args.no_hoist)
    if _report(problems, sources) or plan is None:
        return EXIT_ERRORS
    sys.stdout.write(plan.structure() if args.emit == "plan" else generate(plan).source)
    return EXIT_OK


def _load(path: str) -> SourceSet | None:
    """The file and its imports, or None (with the reason printed) when it cannot be read."""
    try:
        return load(path)
    except FlowError as exc:
        sys.stderr.writelines(f"flowc: {d.message}\n" for d in exc.diagnostics)
        return None


def _analysis(args: argparse.Namespace) -> Analysis | int:
    """The workflow's analysis, or the exit code (with the diagnostics printed) when there is none to use."""
    sources = _load(args.file)
    if sources is None:
        return EXIT_USAGE
    analysis = analyse(sources, args.workflow, tuple(args.overrides))
    if _report(analysis.diagnostics, sources.sources) or analysis.graph is None:
        return EXIT_ERRORS
    return analysis


def _report(diagnostics: list[Diagnostic], sources: dict[str, SourceFile]) -> bool:
    """Print diagnostics to stderr; whether any is an error."""
    if diagnostics:
        sys.stderr.write(render_text(diagnostics, sources, color=sys.stderr.isatty()))
    return has_errors(diagnostics)
