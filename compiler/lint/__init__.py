"""The lint pipeline: a tuple of passes over one analysed workflow, one module per pass.

A pass is a function `(analysis) -> Iterable[Diagnostic]`; adding a rule means
adding a module and a line to `PASSES`. Passes never stop at the first
problem and never raise on bad input; graph passes do nothing when the
analysis produced no graph. Every pass is linear or near-linear in the size
of the graph (see `benchmarks/lint_scale.py`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from flowc.compiler.lint.algebraic_loop import algebraic_loop
from flowc.compiler.lint.facts import usage_known
from flowc.compiler.lint.feedback_no_cycle import feedback_no_cycle
from flowc.compiler.lint.missing_input import missing_input
from flowc.compiler.lint.naming import naming
from flowc.compiler.lint.never_consumed import never_consumed
from flowc.compiler.lint.no_portfolio import no_portfolio
from flowc.compiler.lint.role_not_runnable import role_not_runnable
from flowc.compiler.lint.same_bar_fill import same_bar_fill
from flowc.compiler.lint.several_portfolios import several_portfolios
from flowc.compiler.lint.unknown_symbol import unknown_symbol
from flowc.compiler.lint.unreachable import unreachable
from flowc.compiler.lint.unused_feature import unused_feature
from flowc.compiler.lint.unused_param import unused_param
from flowc.compiler.workflow import Analysis
from flowc.dsl.diagnostics import Diagnostic

Pass = Callable[[Analysis], Iterable[Diagnostic]]

PASSES: tuple[Pass, ...] = (
    missing_input,  # FL304
    several_portfolios,  # FL306
    algebraic_loop,  # FL401
    unreachable,  # FL402
    no_portfolio,  # FL403
    never_consumed,  # FL404
    feedback_no_cycle,  # FL405
    same_bar_fill,  # FL406
    unused_param,  # FL506
    unused_feature,  # FL507
    unknown_symbol,  # FL616
    naming,  # FL902
)
# What `flowc run` checks: lint plus what only matters to a run.
RUN_PASSES: tuple[Pass, ...] = (*PASSES, role_not_runnable)  # FL307

# Warnings about something nothing uses, and which workflows must agree on them (see lint_workflows).
UNUSED: dict[str, Callable[[Analysis], str]] = {
    "FL506": lambda a: "",  # a main-file param: every workflow of the file could use it
    "FL507": lambda a: a.hierarchy.pattern if a.hierarchy else "",  # a feature: workflows of its container pattern
}


def lint(analysis: Analysis, passes: Sequence[Pass] = PASSES) -> list[Diagnostic]:
    """The diagnostics of every pass over one workflow (those of `analyse` not included)."""
    return [d for check in passes for d in check(analysis)]


def lint_workflows(analyses: Sequence[Analysis], passes: Sequence[Pass] = PASSES) -> list[Diagnostic]:
    """Analysis and lint diagnostics of several workflows of one file, each once (see `merge_workflows`)."""
    return merge_workflows([(a, [*a.diagnostics, *lint(a, passes)]) for a in analyses])


def merge_workflows(found_by: Sequence[tuple[Analysis, Sequence[Diagnostic]]]) -> list[Diagnostic]:
    """The diagnostics of several workflows of one file (each with what analysis and lint found), each once.

    A param or feature that one workflow leaves unused may be read by another,
    so an FL506/FL507 warning survives only if every workflow that could read
    the name, and whose usage is known, reports it too.
    """
    found: dict[Diagnostic, str] = {}  # diagnostic -> its group, for the unused codes
    votes: Counter[Diagnostic] = Counter()
    judges: Counter[tuple[str, str]] = Counter()
    for analysis, diagnostics in found_by:
        if usage_known(analysis):
            for code, group in UNUSED.items():
                judges[code, group(analysis)] += 1
        for d in dict.fromkeys(diagnostics):
            votes[d] += 1
            found.setdefault(d, UNUSED[d.code](analysis) if d.code in UNUSED else "")
    return [d for d, group in found.items() if d.code not in UNUSED or votes[d] == judges[d.code, group]]
