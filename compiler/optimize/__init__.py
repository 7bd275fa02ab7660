"""Optimisation passes over the plan: less work for the generated program, the same results.

Each pass is a function `run(plan, context) -> plan` in a module of its own, and the pipeline
is the tuple `PIPELINE` (sqlglot's `RULES`, tinygrad's named rewrites): adding an
optimisation is one module and one line. The pipeline's `optimise` stage (and `build_plan`)
calls `optimize` on every plan, so `flowc compile --emit plan|py` prints what runs, and
`--emit plan:PASS` the plan after one pass. Between passes `check` verifies
the invariants code generation relies on, so a broken pass fails at the pass and not as a
wrong backtest.

What a pass may assume and must keep (the plan's meaning is docs/semantics.md):

- only the plan changes; the graph, the binding and the reference engine never see a pass,
  so `tests/optimize` holds every pass to "same ledger as without it" on random topologies;
- the parameter vector's layout never changes (slots stay where they are), so parameters
  and sweeps are unaffected; a pass may compare two literal slots by value, which makes the
  plan (and its cache key) depend on the file's literals, never on params;
- the schedule order of the nodes that remain is unchanged, and so is every name a ledger
  carries (portfolios, risks, executions, strategies): only feature and classifier
  containers, settings, inputs and component states are ever removed.

The passes, in pipeline order:

1. `dead_containers`: drop the feature and classifier containers whose output reaches no
   strategy, risk, execution or portfolio (their work changes nothing).
2. `dead_settings`: drop the feature settings that nothing reads, where that leaves the
   container's emission unchanged.
3. `cse_local`: a sub-expression equal to an earlier setting of the same container reads
   that setting (`Local`) instead of computing it again.
4. `cse_shared`: a sub-expression equal to a feature another container already computes,
   with the same inputs and the same calls, reads that feature instead (identical features
   across containers are computed once).
5. `dead_routes`: drop the inputs of series containers that no setting reads.

Hoisting itself (the feedback-free prefix as whole-series loops) is the planner's
(`plan.hoistable`): in version 1 only risk containers consume a feedback route and no series
container consumes what a risk container emits, so every series container is hoisted, except
those that read another symbol's FEATURE or REGIME or compute across the symbols, and what they
reach (`plan.across_symbols`): they run in the step loop.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator

from flowc.compiler.optimize import (
    cse_local,
    cse_shared,
    dead_containers,
    dead_routes,
    dead_settings,
)
from flowc.compiler.optimize.check import check
from flowc.compiler.optimize.context import Context
from flowc.compiler.plan import Plan

Pass = Callable[[Plan, Context], Plan]

PIPELINE: tuple[Pass, ...] = (
    dead_containers.run,
    dead_settings.run,
    cse_local.run,
    cse_shared.run,
    dead_routes.run,
)


_chosen: contextvars.ContextVar[tuple[Pass, ...] | None] = contextvars.ContextVar("flowc_passes", default=None)


@contextlib.contextmanager
def passes(chosen: tuple[Pass, ...]) -> Iterator[None]:
    """Within the block (this thread or task only), `build_plan` runs `chosen` instead of `PIPELINE`.

    `with passes(()):` gives the planner's own plan, e.g. to count every container's warm-up.
    """
    token = _chosen.set(tuple(chosen))
    try:
        yield
    finally:
        _chosen.reset(token)


def pass_name(p: Pass) -> str:
    """A pass' name: its module's (`dead_containers`)."""
    return p.__module__.rsplit(".", 1)[-1]


def pass_names() -> tuple[str, ...]:
    return tuple(map(pass_name, PIPELINE))


def optimize(plan: Plan, analysis, passes: tuple[Pass, ...] | None = None, *,
             trace: list[tuple[str, Plan]] | None = None) -> Plan:
    """The plan after every pass of `passes` (default: `PIPELINE`, or those of `with passes(...)`).

    `trace`, if given, receives each pass' name and the plan after it, in order.
    """
    context = Context.of(analysis)
    check(plan, "the planner")
    if passes is None:
        passes = _chosen.get()
    for p in PIPELINE if passes is None else passes:
        plan = p(plan, context)
        check(plan, pass_name(p))
        if trace is not None:
            trace.append((pass_name(p), plan))
    return plan


__all__ = ["PIPELINE", "Context", "Pass", "check", "optimize", "pass_name", "pass_names", "passes"]
