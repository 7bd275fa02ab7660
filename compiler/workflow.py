"""The workflow manager's compile side: pick a workflow from the pattern registry and analyse it.

A workflow pairs a container pattern with a communication pattern by name.
`analyse` runs the front of the compiler (scope, parameters, factories,
graph, binding) and collects every diagnostic instead of stopping at the
first, so `flowc lint` can show them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flowc.compiler.bind import Binding, bind
from flowc.compiler.communication import expand
from flowc.compiler.containers import Hierarchy, build_hierarchy
from flowc.compiler.graph import FlowGraph, build_graph
from flowc.compiler.scope import Scope, Value, check_value, collect, literal, param_values
from flowc.dsl import ast
from flowc.dsl.diagnostics import Diagnostic, diagnose, did_you_mean
from flowc.dsl.loader import SourceSet

OBJECTIVES = ("sharpe", "sortino", "total_return", "cagr", "calmar", "max_drawdown", "final_equity",
              "win_rate", "volatility")
WORKFLOW_SETTINGS = ("containers", "communication", "objective", "periods_per_year")
WALK_FORWARD_ARGS = ("train", "test", "step")


MAX_SWEEP_POINTS = 100_000  # the points of all a workflow's sweeps together


@dataclass(frozen=True)
class SweepSpec:
    param: str
    values: tuple[Value, ...]


@dataclass
class Analysis:
    """Everything the compiler knows about one workflow before planning."""

    sources: SourceSet
    scope: Scope
    workflow: ast.WorkflowDecl | None = None
    hierarchy: Hierarchy | None = None
    graph: FlowGraph | None = None
    binding: Binding | None = None
    values: dict[str, Value] = field(default_factory=dict)
    sweeps: list[SweepSpec] = field(default_factory=list)
    objective: str = "sharpe"
    periods_per_year: float | None = None
    walk_forward: dict[str, int] | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.workflow.name if self.workflow else ""


def workflows_in(sources: SourceSet, scope: Scope, path: str) -> list[str]:
    return [name for name, file in scope.workflow_files.items() if file == path]


def select(sources: SourceSet, scope: Scope, name: str | None) -> tuple[ast.WorkflowDecl | None, Diagnostic | None]:
    """The workflow asked for, or the only one declared in the main file itself."""
    if name is not None:
        if name in scope.workflows:
            return scope.workflows[name], None
        hint = did_you_mean(name, scope.workflows) or (
            "workflows: " + ", ".join(scope.workflows) if scope.workflows else "no workflow is declared")
        return None, diagnose("FL208", None, hint, detail=f"there is no workflow `{name}`")
    own = workflows_in(sources, scope, sources.main)
    if len(own) == 1:
        return scope.workflows[own[0]], None
    imported = [name for name in scope.workflows if name not in own]
    if own:
        return None, diagnose("FL208", None, "workflows: " + ", ".join(own),
                              detail=f"`{sources.main}` declares {len(own)} workflows; choose one with -w")
    if not imported:
        return None, diagnose(
            "FL208", None, 'import one, e.g. `import "std/simple_backtest.flow"`, or declare `workflow NAME { ... }`',
            detail=f"`{sources.main}` declares no workflow")
    if len(imported) == 1:
        return None, diagnose("FL208", None, detail=f"`{sources.main}` declares no workflow; it imports "
                                                   f"`{imported[0]}`; run it with -w {imported[0]}")
    return None, diagnose("FL208", None, detail=f"`{sources.main}` declares no workflow; it imports {len(imported)}: "
                                             f"{', '.join(f'`{n}`' for n in imported)}; choose one with -w")


def analyse(sources: SourceSet, workflow: str | None = None, overrides: tuple[str, ...] = ()) -> Analysis:
    scope = collect(sources)
    result = Analysis(sources, scope, diagnostics=list(sources.diagnostics) + list(scope.diagnostics))
    if sources.main_module is None:
        return result
    decl, problem = select(sources, scope, workflow)
    if problem:
        result.diagnostics.append(problem)
        return result
    assert decl is not None
    result.workflow = decl
    result.values, problems = param_values(scope, overrides)
    result.diagnostics.extend(problems)
    patterns = _workflow_settings(result, decl)
    if patterns is None:
        return result
    containers, communication = patterns
    hierarchy, problems = build_hierarchy(containers, scope)
    result.hierarchy = hierarchy
    result.diagnostics.extend(problems)
    routes, problems = expand(communication, hierarchy, scope)
    result.diagnostics.extend(problems)
    result.graph = build_graph(hierarchy, routes, scope)
    result.binding = bind(result.graph, scope, result.values)
    result.diagnostics.extend(result.binding.diagnostics)
    for name, decl_param in scope.params.items():
        if name not in result.values and name in result.binding.used_params and not any(
                s.param == name for s in result.sweeps):
            result.diagnostics.append(diagnose("FL508", decl_param.span,
                                               f"give it a default or run with `--set {name}=...`",
                                               detail=f"the param `{name}` has no default and no value"))
    return result


def analyse_patterns(sources: SourceSet, scope: Scope, overrides: tuple[str, ...] = (),
                     skip: frozenset[str] = frozenset()) -> list[Diagnostic]:
    """The diagnostics of the main file's container and communication patterns on their own, without a workflow.

    For `flowc lint` of a file whose patterns no workflow of its own pairs (a library of patterns):
    a container pattern is built and its settings bound as if no route connected its containers
    (each unreachable container's reads of what routes would deliver follow from that and are not
    reported, see `bind`); of a communication pattern, the events its adapters name are checked
    (what its routes mean depends on the containers it is paired with). Patterns named in `skip`
    (those a workflow already analysed) are left out.
    """
    values, problems = param_values(scope, overrides)
    found: list[Diagnostic] = list(problems)
    main = sources.main
    for name, decl in scope.containers.items():
        if name in skip or decl.span.path != main:
            continue
        hierarchy, problems = build_hierarchy(decl, scope)
        found.extend(problems)
        binding = bind(build_graph(hierarchy, [], scope), scope, values)
        found.extend(binding.diagnostics)
    for name, decl in scope.communications.items():
        if name in skip or decl.span.path != main:
            continue
        for adapter in decl.adapters:
            for ident in getattr(adapter, "events", ()):
                if ident.name not in scope.events:
                    found.append(diagnose("FL210", ident.span, did_you_mean(ident.name, scope.events)
                                          or "events: " + ", ".join(scope.events), name=ident.name))
    return list(dict.fromkeys(found))


def paired_patterns(analysis: Analysis) -> set[str]:
    """The container and communication patterns a workflow's analysis paired (by name)."""
    names = set()
    for item in analysis.workflow.items if analysis.workflow else ():
        if isinstance(item, ast.WorkflowSetting) and item.name in ("containers", "communication") and isinstance(
                item.value, ast.Name):
            names.add(item.value.id)
    return names


def _workflow_settings(result: Analysis, decl: ast.WorkflowDecl):
    scope = result.scope
    named: dict[str, ast.WorkflowSetting] = {}
    for item in decl.items:
        if isinstance(item, ast.WorkflowSetting):
            if item.name not in WORKFLOW_SETTINGS:
                result.diagnostics.append(diagnose(
                    "FL504", item.span,
                    did_you_mean(item.name, WORKFLOW_SETTINGS) or "settings: " + ", ".join(WORKFLOW_SETTINGS),
                    detail=f"a workflow has no setting `{item.name}`"))
            named[item.name] = item
        elif isinstance(item, ast.Sweep):
            _sweep(result, item)
        elif isinstance(item, ast.WalkForward):
            _walk_forward(result, item)
    if "objective" in named:
        value = named["objective"].value
        objective = value.id if isinstance(value, ast.Name) else getattr(value, "value", None)
        if objective not in OBJECTIVES:
            result.diagnostics.append(diagnose(
                "FL509", value.span, did_you_mean(str(objective), OBJECTIVES) or ", ".join(OBJECTIVES),
                detail=f"unknown objective `{objective}`"))
        else:
            result.objective = objective
    if "periods_per_year" in named:
        value = literal(named["periods_per_year"].value)
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            result.diagnostics.append(diagnose("FL509", named["periods_per_year"].value.span,
                                               detail="`periods_per_year` must be a positive number"))
        else:
            result.periods_per_year = float(value)
    found = []
    for key, table, kind in (("containers", scope.containers, "container pattern"),
                             ("communication", scope.communications, "communication pattern")):
        setting = named.get(key)
        if setting is None:
            result.diagnostics.append(diagnose("FL508", decl.span,
                                               detail=f"the workflow `{decl.name}` needs `{key} = NAME`"))
            return None
        ref = setting.value
        if not isinstance(ref, ast.Name) or ref.id not in table:
            shown = ref.id if isinstance(ref, ast.Name) else "this"
            result.diagnostics.append(diagnose(
                "FL207", ref.span,
                did_you_mean(shown, table) or (f"{kind}s: " + ", ".join(table) if table else None),
                kind=kind, name=shown))
            return None
        found.append(table[ref.id])
    return found[0], found[1]


def _sweep(result: Analysis, item: ast.Sweep) -> None:
    scope = result.scope
    decl = scope.params.get(item.param)
    if decl is None:
        result.diagnostics.append(diagnose("FL505", item.span, did_you_mean(item.param, scope.params)
                                                    or f"declare it: `param {item.param}: int = ...`",
                                           param=item.param))
        return
    values = sweep_values(item.values)
    if isinstance(values, str):
        result.diagnostics.append(diagnose("FL501", item.values.span,
                                           detail=f"`sweep {item.param}`: {values}"))
        return
    points = size(values)  # of a range, counted without building it
    for earlier in result.sweeps:
        points *= len(earlier.values)
    if points > MAX_SWEEP_POINTS:
        shown = f"{size(values):,} values" + (f", {points:,} points with the sweeps before it" if result.sweeps else "")
        result.diagnostics.append(diagnose("FL509", item.values.span,
                                           "sweep fewer values (a larger step), or split the sweep into several runs",
                                           detail=f"`sweep {item.param}`: {shown}; a sweep has at most "
                                                  f"{MAX_SWEEP_POINTS:,} points"))
        return
    for value in (values if not isinstance(values, range) else (values[0], values[-1])):
        problem = check_value(decl.type.name, value)
        if problem:
            result.diagnostics.append(diagnose("FL501", item.values.span,
                                               detail=f"`sweep {item.param}`: {value!r} {problem}"))
            return
    if any(s.param == item.param for s in result.sweeps):
        result.diagnostics.append(diagnose("FL202", item.span, detail=f"`{item.param}` is swept twice"))
        return
    result.sweeps.append(SweepSpec(item.param, tuple(values)))


def size(values: tuple[Value, ...] | range) -> int:
    """How many values: of a range by arithmetic (`len` fails beyond sys.maxsize)."""
    if not isinstance(values, range):
        return len(values)
    start, stop, step = values.start, values.stop, values.step
    span = stop - start if step > 0 else start - stop
    return max(0, (span + abs(step) - 1) // abs(step))


def sweep_values(expr: ast.Expr) -> tuple[Value, ...] | range | str:
    """The values of a sweep: a list of literals or `range(start, stop[, step])`; a message if neither."""
    if isinstance(expr, ast.ListExpr):
        values = [literal(i) for i in expr.items]
        if any(v is None for v in values) or not values:
            return "a sweep lists literal values, e.g. `[5, 10, 20]`"
        return tuple(values)  # type: ignore[arg-type]
    if isinstance(expr, ast.Call) and expr.func == "range" and not expr.kwargs and 1 <= len(expr.args) <= 3:
        bounds = [literal(a) for a in expr.args]
        if not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds):
            return "range() takes whole numbers"
        if len(bounds) == 3 and bounds[2] == 0:
            return "range() step must not be zero"
        values = range(*bounds)  # type: ignore[arg-type]  # counted in O(1); a tuple only once within the limit
        return values if size(values) else "this range is empty"
    return "a sweep takes a list `[a, b, c]` or `range(start, stop, step)`"


def _walk_forward(result: Analysis, item: ast.WalkForward) -> None:
    args: dict[str, int] = {}
    for kw in item.args:
        value = literal(kw.value)
        if kw.name not in WALK_FORWARD_ARGS:
            result.diagnostics.append(diagnose("FL510", kw.span, did_you_mean(kw.name, WALK_FORWARD_ARGS),
                                               detail=f"`walk_forward` takes no argument `{kw.name}`"))
        elif not isinstance(value, int) or isinstance(value, bool) or value < 1:
            result.diagnostics.append(diagnose("FL509", kw.value.span,
                                               detail=f"`{kw.name}` must be a positive whole number of bars"))
        else:
            args[kw.name] = value
    missing = [a for a in ("train", "test") if a not in args]
    if missing:
        result.diagnostics.append(diagnose("FL502", item.span,
                                           "e.g. `walk_forward train = 500, test = 100, step = 100`",
                                           detail=f"`walk_forward` needs {' and '.join(missing)}"))
        return
    args.setdefault("step", args["test"])
    result.walk_forward = args
