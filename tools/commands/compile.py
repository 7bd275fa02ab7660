"""`flowc graph` and `flowc compile --emit FORM`: the printable form of each stage of the compiler.

The stages and their forms come from the pipeline (`compiler/pipeline.py`;
`flowc compile --stages` prints them): `ast` needs only a file that parses;
`graph`, `dot` and `mermaid` need an analysis without errors (lint problems
such as an algebraic loop are drawn, not refused: seeing them is the point);
`lint` prints the lint passes' findings; `plan` (after every optimisation
pass), `plan:planner` (before any), `plan:PASS` (after that pass), `passes`
(all of them), `structure` (the compile cache's key text) and `py` need a
workflow that would run, so they go through lint and the planner's check.
"""

from __future__ import annotations

import argparse
import sys

from flowc.compiler.pipeline import NAMES, STAGES, Compilation, compile_to, describe
from flowc.dsl.diagnostics import Diagnostic, FlowError, has_errors
from flowc.dsl.render import render_text
from flowc.dsl.source import SourceFile
from flowc.tools.exit_codes import EXIT_ERRORS, EXIT_OK, EXIT_USAGE

DRAWINGS = ("graph", "dot", "mermaid")


def run_graph(args: argparse.Namespace) -> int:
    return _emit(args, args.format)


def run_compile(args: argparse.Namespace) -> int:
    if args.stages:
        sys.stdout.write(describe())
        return EXIT_OK
    if args.file is None:
        sys.stderr.write("flowc compile: give a .flow file (or --stages)\n")
        return EXIT_USAGE
    return _emit(args, args.emit)


def stage_of(form: str) -> str | None:
    """The stage whose output `--emit form` prints (None for no such form)."""
    from flowc.compiler.optimize import pass_names

    if form.startswith("plan:") and form[5:] in pass_names():
        return "optimise"
    return next((s.name for s in STAGES if form in s.forms and form != "plan:PASS"), None)


def _emit(args: argparse.Namespace, form: str) -> int:
    stage = stage_of(form)
    if stage is None:
        sys.stderr.write(f"flowc compile: there is no form `{form}` to emit; `flowc compile --stages` lists them\n")
        return EXIT_USAGE
    try:
        c = compile_to(args.file, stage, workflow=getattr(args, "workflow", None),
                       overrides=getattr(args, "overrides", ()), hoist=not getattr(args, "no_hoist", False))
    except FlowError as exc:  # a file that cannot be read
        sys.stderr.writelines(f"flowc: {d.message}\n" for d in exc.diagnostics)
        return EXIT_USAGE
    sources = c.load.sources if c.load is not None else {}
    if form == "lint":
        sys.stdout.write(render_text(c.diagnostics, sources, color=sys.stdout.isatty()))
        return EXIT_ERRORS if has_errors(c.diagnostics) else EXIT_OK
    if _report(c.diagnostics, sources) or c.reached != stage or _missing(c, stage):
        return EXIT_ERRORS
    sys.stdout.write(text_of(c, form))
    return EXIT_OK


def _missing(c: Compilation, stage: str) -> bool:
    """An analysis that gave no graph (no workflow to draw) stops here too."""
    return NAMES.index(stage) >= NAMES.index("analyse") and c.analyse is not None and c.analyse.graph is None


def text_of(c: Compilation, form: str) -> str:
    """The printable form `form` of a compilation that reached its stage."""
    from flowc.compiler.export import ast_text, graph_text, to_dot, to_mermaid
    from flowc.compiler.plan_text import plan_text

    if form == "ast":
        assert c.load is not None and c.load.main_module is not None
        return ast_text(c.load.main_module)
    if form in DRAWINGS:
        assert c.analyse is not None and c.analyse.graph is not None
        return {"graph": graph_text, "dot": to_dot, "mermaid": to_mermaid}[form](c.analyse.graph)
    if form == "plan:planner":
        assert c.plan is not None
        return plan_text(c.plan, c.analyse)
    if form == "plan":
        assert c.optimise is not None
        return plan_text(c.optimise, c.analyse)
    if form.startswith("plan:"):
        return plan_text(dict(c.passes)[form[5:]], c.analyse)
    if form == "passes":
        assert c.plan is not None
        steps = [("planner", c.plan), *c.passes]
        return "\n".join(f"# ---- after {name}\n{plan_text(plan, c.analyse)}" for name, plan in steps)
    if form == "structure":
        assert c.optimise is not None
        return c.optimise.structure()
    assert form == "py" and c.generate is not None
    return c.generate.source


def _report(diagnostics: list[Diagnostic], sources: dict[str, SourceFile]) -> bool:
    """Print diagnostics to stderr; whether any is an error."""
    if diagnostics:
        sys.stderr.write(render_text(diagnostics, sources, color=sys.stderr.isatty()))
    return has_errors(diagnostics)
