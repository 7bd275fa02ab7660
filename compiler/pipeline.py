"""The compiler's pipeline: its stages in order, by name, and the one driver every entry point calls.

    load -> analyse -> lint -> plan -> optimise -> generate

`flowc run` (through `runtime/manager.prepare`), `flowc compile --emit`, `flowc lint`, sweeps
(their jobs call `prepare`), the language server (through `flowc lint`'s `lint_file`) and the
Python API all call `compile_to`, each stopping at the stage it needs. A stage is a function
of the `Compilation` so far that returns its one output, which `compile_to` stores under the
stage's name; every output has a printable form (`flowc compile --stages` lists them).

Diagnostics are values: each stage's are kept in order on the `Compilation`, and an error stops
the pipeline after the stage that found it, except that `lint` runs on an analysis with errors
when it is the stage asked for (lint collects everything it can; its passes tolerate a missing
graph). Whether a workflow can run at all (FL304 no portfolio, FL307) is decided in one place,
`plan.unrunnable`, which the `plan` stage calls and `flowc lint --select FL307` shows.

A file that cannot be read at all is not a diagnostic of the file: `load` raises `FlowError`,
and the commands report it as a usage error.

This module imports the stages' modules only when they run, so `flowc compile --stages` and the
CLI's argument parser stay cheap.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from flowc.dsl.diagnostics import Diagnostic, FlowError, has_errors

if TYPE_CHECKING:
    from flowc.compiler.codegen import Generated
    from flowc.compiler.lint import Pass as LintPass
    from flowc.compiler.plan import Plan
    from flowc.compiler.workflow import Analysis
    from flowc.dsl.loader import SourceSet


@dataclass
class Compilation:
    """One workflow of one file, as far through the pipeline as it went: each stage's output by name."""

    source: str | Path | SourceSet
    workflow: str | None = None
    overrides: tuple[str, ...] = ()
    hoist: bool = True
    lint_passes: Sequence[LintPass] | None = None  # default: compiler.lint.PASSES
    load: SourceSet | None = None
    analyse: Analysis | None = None
    lint: list[Diagnostic] | None = None  # the lint passes' findings (the analysis' own are on it)
    plan: Plan | None = None  # the planner's plan, before any optimisation pass
    optimise: Plan | None = None  # the plan that runs, after every optimisation pass
    passes: list[tuple[str, Plan]] = field(default_factory=list)  # the plan after each pass, by the pass' name
    generate: Generated | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)  # every stage's, in stage order
    reached: str | None = None  # the last stage that ran
    seconds: dict[str, float] = field(default_factory=dict)  # each stage's wall time

    @property
    def sources(self) -> SourceSet | None:
        return self.load

    @property
    def analysis(self) -> Analysis | None:
        return self.analyse

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]

    def output(self, stage: str) -> object:
        """What the stage gave (None if it did not run)."""
        return getattr(self, _by_name(stage).name)

    def failure(self) -> FlowError:
        """The diagnostics as the error the run path and the Python API raise."""
        return FlowError(self.diagnostics, self.load.sources if self.load is not None else {})


# ---- the stages --------------------------------------------------------------------------------


def load(c: Compilation) -> SourceSet:
    """The file and every file it imports, parsed (syntax and import errors are diagnostics)."""
    from flowc.dsl.loader import SourceSet, load

    sources = c.source if isinstance(c.source, SourceSet) else load(c.source)
    c.diagnostics.extend(sources.diagnostics)
    return sources


def analyse(c: Compilation) -> Analysis:
    """Names, params, the two factories, the graph and the binding of the chosen workflow."""
    from flowc.compiler.workflow import analyse

    assert c.load is not None
    analysis = analyse(c.load, c.workflow, tuple(c.overrides))
    c.diagnostics.extend(analysis.diagnostics[len(c.load.diagnostics):])  # the loader's are there already
    return analysis


def lint(c: Compilation) -> list[Diagnostic]:
    """The lint passes' findings (`compiler/lint`); with `lint_passes`, those passes instead."""
    from flowc.compiler.lint import PASSES
    from flowc.compiler.lint import lint as run_passes

    assert c.analyse is not None
    found = run_passes(c.analyse, PASSES if c.lint_passes is None else c.lint_passes)
    c.diagnostics.extend(found)
    return found


def plan(c: Compilation) -> Plan | None:
    """The schedule and wiring of every container, if the workflow can run (`plan.unrunnable` decides)."""
    from flowc.compiler.plan import plan_of

    assert c.analyse is not None
    result, problems = plan_of(c.analyse, hoist=c.hoist)
    c.diagnostics.extend(problems)
    return result


def optimise(c: Compilation) -> Plan:
    """The plan after each optimisation pass of `compiler/optimize` (each kept in `passes`)."""
    from flowc.compiler.optimize import optimize

    assert c.plan is not None
    c.passes = []
    return optimize(c.plan, c.analyse, trace=c.passes)


def generate(c: Compilation) -> Generated:
    """The Python source of the workflow's one `@njit` program, and its buffer layout."""
    from flowc.compiler.codegen import generate

    assert c.optimise is not None
    return generate(c.optimise)


class Stage(NamedTuple):
    name: str
    run: Callable[[Compilation], object]
    forms: tuple[str, ...]  # what `flowc compile --emit` prints of its output

    @property
    def summary(self) -> str:
        return (self.run.__doc__ or "").strip().splitlines()[0]


STAGES: tuple[Stage, ...] = (
    Stage("load", load, ("ast",)),
    Stage("analyse", analyse, ("graph", "dot", "mermaid")),
    Stage("lint", lint, ("lint",)),
    Stage("plan", plan, ("plan:planner",)),
    Stage("optimise", optimise, ("plan", "plan:PASS", "passes", "structure")),
    Stage("generate", generate, ("py",)),
)
NAMES: tuple[str, ...] = tuple(s.name for s in STAGES)


def _by_name(name: str) -> Stage:
    for stage in STAGES:
        if stage.name == name:
            return stage
    raise ValueError(f"there is no stage `{name}`; the stages are {', '.join(NAMES)}")


def compile_to(source: str | Path | SourceSet, stage: str = "generate", *, workflow: str | None = None,
               overrides: Sequence[str] = (), hoist: bool = True,
               lint_passes: Sequence[LintPass] | None = None) -> Compilation:
    """Run the stages in order up to `stage` (included), or to the first that finds an error.

    `source` is a path or an already loaded `SourceSet` (the language server's buffers).
    Check `.ok` and `.reached` before reading a later stage's output.
    """
    last = NAMES.index(_by_name(stage).name)
    c = Compilation(source, workflow, tuple(overrides), hoist, lint_passes)
    for step in STAGES[:last + 1]:
        if not _may_run(c, step.name, stage):
            break
        begun = time.perf_counter()
        setattr(c, step.name, step.run(c))
        c.seconds[step.name] = time.perf_counter() - begun
        c.reached = step.name
    return c


def _may_run(c: Compilation, name: str, target: str) -> bool:
    """Whether a stage makes sense after what came before it."""
    if name == "load":
        return True
    if name == "analyse":  # it reports what it can of a file that does not parse, too
        return c.load is not None
    if name == "lint":  # lint collects: it runs on an analysis with errors when lint is what was asked for
        return c.analyse is not None and (target == "lint" or (c.ok and c.analyse.graph is not None))
    if name == "plan":
        return c.ok and c.analyse is not None and c.analyse.graph is not None
    if name == "optimise":
        return c.ok and c.plan is not None
    return c.ok and c.optimise is not None


def describe() -> str:
    """The stages, in order, with what `--emit` prints of each (`flowc compile --stages`)."""
    from flowc.compiler.optimize import pass_names

    lines = []
    for index, stage in enumerate(STAGES, 1):
        lines.append(f"{index}. {stage.name:<9} {stage.summary}")
        lines.append(f"   {'':<9} --emit {', '.join(stage.forms)}")
        if stage.name == "optimise":
            lines.append(f"   {'':<9} PASS: {', '.join(pass_names())}")
    return "\n".join(lines) + "\n"
