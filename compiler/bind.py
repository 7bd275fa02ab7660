"""Bind every setting and route predicate of a workflow's graph to the IR of `ir.py`.

This is where names meet routes: a container sees its own earlier settings,
the fields its incoming routes deliver (BAR fields, the features of a
FEATURE source, the setting that made a REGIME) and the params. A name that
exists elsewhere but that no route delivers is an error naming the missing
route.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flowc.compiler import components as comp
from flowc.compiler.graph import Edge, FlowGraph
from flowc.compiler.ir import (
    Apply,
    BinOp,
    BoundContainer,
    BoundGuard,
    BoundSetting,
    Config,
    DataConfig,
    ExecutionConfig,
    Expr,
    Input,
    InputKey,
    Local,
    ParamTable,
    PortfolioConfig,
    Replay,
    ReplaySpec,
    RiskConfig,
    Slot,
    SourceSpec,
    SymbolIs,
    UnOp,
    reads,
    walk,
)
from flowc.compiler.schema import (
    BAR_FIELDS,
    COMBINE_RULES,
    DEFAULT_CASH,
    EXIT_SETTINGS,
    REQUIRED_SETTINGS,
    ROLE_SETTINGS,
)
from flowc.compiler.scope import MAX_WHOLE, Scope, Value, check_value, literal
from flowc.dsl import ast
from flowc.dsl.diagnostics import Diagnostic, diagnose, did_you_mean
from flowc.dsl.source import Span

SERIES_ROLES = ("feature", "classifier", "strategy")


@dataclass
class Binding:
    containers: dict[str, BoundContainer] = field(default_factory=dict)
    guards: dict[tuple[str, str, str, bool], tuple[BoundGuard, ...]] = field(default_factory=dict)
    params: ParamTable = field(default_factory=ParamTable)
    symbol_literals: list[str] = field(default_factory=list)
    used_params: set[str] = field(default_factory=set)
    used_inputs: set[tuple[str, str, str]] = field(default_factory=set)  # (source, event, field) read
    replays: list[ReplaySpec] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


class _Names:
    """What a name means at one place: locals, delivered fields, params.

    `failed` holds the settings declared above whose definition did not bind: still declared
    names, so a use of one is no new error (the failed definition already has its diagnostic).
    """

    def __init__(self, locals_: dict[str, frozenset[InputKey]], fields: dict[str, Input],
                 failed: frozenset[str] = frozenset()):
        self.locals = locals_
        self.fields = fields
        self.failed = failed


class Binder:
    def __init__(self, graph: FlowGraph, scope: Scope, values: dict[str, Value]):
        self.graph = graph
        self.scope = scope
        self.values = values
        self.out = Binding()
        self.unreached = _unreached(graph, scope)
        self.current = ""  # the container being bound

    def problem(self, code: str, message: str, span: Span | None, hint: str | None = None) -> None:
        if code == "FL209" and self.current in self.unreached:
            return  # no data container reaches it, so nothing is delivered to it: FL402 (a warning) says so
        self.out.diagnostics.append(diagnose(code, span, hint, detail=message))

    # ---- what a container can see ----

    def features_of(self, path: str) -> list[str]:
        node = self.graph.container(path)
        return [s.name for s in node.settings]

    def delivered(self, path: str) -> dict[str, Input]:
        fields: dict[str, Input] = {}
        owners: dict[str, str] = {}
        for edge in self.graph.incoming(path, feedback=False):
            if edge.event == "BAR":
                names = {f: Input("BAR", None, f) for f in BAR_FIELDS}
            elif edge.event in ("FEATURE", "REGIME"):
                names = {f: Input(edge.event, edge.source, f) for f in self.features_of(edge.source)}
            else:
                continue
            for name, value in names.items():
                if name in owners and owners[name] != (edge.source if value.source else "BAR"):
                    self.problem("FL306", f"`{name}` reaches `{path}` from both `{owners[name]}` and "
                                          f"`{edge.source}`", self.graph.container(path).span,
                                 "rename one of the two settings")
                    continue
                owners[name] = edge.source if value.source else "BAR"
                fields[name] = value
        return fields

    def missing_route(self, name: str, path: str, span: Span) -> bool:
        """Report FL209 when `name` exists somewhere in the graph but no route brings it to `path`."""
        if name in BAR_FIELDS:
            source = next(iter(self.graph.of_role("data")), "data")
            self.problem("FL209", f"`{name}` is a field of BAR, and no route delivers BAR to `{path}`", span,
                         f"add `broadcast {source} -> {path} : BAR`")
            return True
        for other in self.graph.nodes:
            role = self.graph.role(other)
            if role in ("feature", "classifier") and other != path and name in self.features_of(other):
                event = "FEATURE" if role == "feature" else "REGIME"
                self.problem("FL209", f"`{name}` is {'a feature' if event == 'FEATURE' else 'the regime'} of "
                                      f"`{other}`, and no route delivers its {event} to `{path}`", span,
                             f"add `route {other} -> {path} : {event}`")
                return True
        return False

    # ---- expressions ----

    def slot_of(self, expr: ast.Expr, kind: comp.Kind, what: str) -> Slot | None:
        """A number or a param: a slot of the parameter vector."""
        value = literal(expr)
        if isinstance(value, bool):
            if kind is comp.Kind.NUMBER:
                return self.out.params.literal(float(value))
        elif isinstance(value, int | float):
            if check_value("float" if isinstance(value, float) else "int", value):
                shown = value if isinstance(value, float) else f"a number of {len(str(abs(value)))} digits"
                self.problem("FL509", f"{what} must be a finite number a float can hold exactly, not {shown}",
                             expr.span,
                             "a number literal above 1.8e308 overflows to infinity; whole numbers have at most "
                             f"{MAX_WHOLE:,}")
                return None
            if kind in (comp.Kind.WINDOW, comp.Kind.INT) and not isinstance(value, int):
                self.problem("FL501", f"{what} must be a whole number, not {value}", expr.span)
                return None
            if kind is comp.Kind.WINDOW and value < 1:
                self.problem("FL509", f"{what} must be at least 1, not {value}", expr.span)
                return None
            return self.out.params.literal(value)
        elif isinstance(expr, ast.Name) and expr.id in self.scope.params:
            decl = self.scope.params[expr.id]
            ok = {comp.Kind.WINDOW: ("int",), comp.Kind.INT: ("int",),
                  comp.Kind.NUMBER: ("int", "float", "bool")}.get(kind, ())
            if decl.type.name not in ok:
                self.problem("FL501", f"{what} needs {'an int' if kind is not comp.Kind.NUMBER else 'a number'}"
                                      f", and the param `{expr.id}` is {decl.type.name}", expr.span)
                return None
            self.out.used_params.add(expr.id)
            return self.out.params.param(expr.id)
        close = did_you_mean(expr.id, self.scope.params) if isinstance(expr, ast.Name) else None
        if close:  # most likely a misspelt param
            self.problem("FL201", f"unknown name `{expr.id}`", expr.span, close)  # type: ignore[union-attr]
            return None
        self.problem("FL501", f"{what} must be a number or a param", expr.span,
                     "it is fixed before the run; a per-bar value is not allowed here")
        return None

    def expr(self, e: ast.Expr, names: _Names, role: str, setting: str, instances: list[int]) -> Expr | None:
        if isinstance(e, ast.Number):
            return self.out.params.literal(e.value)
        if isinstance(e, ast.Bool):
            return self.out.params.literal(1.0 if e.value else 0.0)
        if isinstance(e, ast.Name):
            return self.name(e, names)
        if isinstance(e, ast.Unary):
            if e.op == "-" and isinstance(e.operand, ast.Number):
                return self.out.params.literal(-e.operand.value)
            operand = self.expr(e.operand, names, role, setting, instances)
            return UnOp(e.op, operand) if operand is not None else None
        if isinstance(e, ast.Binary):
            symbol = self.symbol_test(e)
            if symbol is not None:
                return symbol
            left = self.expr(e.left, names, role, setting, instances)
            right = self.expr(e.right, names, role, setting, instances)
            return BinOp(e.op, left, right) if left is not None and right is not None else None
        if isinstance(e, ast.Call):
            return self.call(e, names, role, setting, instances)
        what = "a string" if isinstance(e, ast.String) else "a list"
        self.problem("FL501", f"{what} cannot be used as a per-bar value", e.span)
        return None

    def symbol_test(self, e: ast.Binary) -> SymbolIs | None:
        sides = (e.left, e.right)
        if e.op not in ("==", "!=") or not any(isinstance(s, ast.Name) and s.id == "symbol" for s in sides):
            return None
        other = e.right if isinstance(e.left, ast.Name) and e.left.id == "symbol" else e.left
        if not isinstance(other, ast.String):
            self.problem("FL501", "`symbol` can only be compared with a string", other.span,
                         'write e.g. `symbol == "SPX"`')
            return SymbolIs(-1)
        if other.value not in self.out.symbol_literals:
            self.out.symbol_literals.append(other.value)
        return SymbolIs(self.out.symbol_literals.index(other.value), negate=e.op == "!=")

    def name(self, e: ast.Name, names: _Names) -> Expr | None:
        if e.id in names.locals:
            return Local(e.id)
        if e.id in names.failed:
            return None  # declared above; its definition failed and says why
        if e.id in names.fields:
            found = names.fields[e.id]
            self.out.used_inputs.add((found.source or "BAR", found.event, found.field))
            return found
        if e.id in self.scope.params:
            decl = self.scope.params[e.id]
            if decl.type.name == "str":
                self.problem("FL501", f"the param `{e.id}` is a str and cannot be used as a number", e.span)
                return None
            self.out.used_params.add(e.id)
            return self.out.params.param(e.id)
        if e.id == "symbol":
            self.problem("FL501", "`symbol` can only be compared with a string", e.span)
            return None
        return None

    def call(self, e: ast.Call, names: _Names, role: str, setting: str, instances: list[int]) -> Expr | None:
        component = comp.lookup(role, setting, e.func)
        if component is None or component.kernel is None:
            options = comp.candidates(role, setting)
            self.problem("FL503", f"no component `{e.func}` for the {role} setting `{setting}`", e.span,
                         did_you_mean(e.func, options) or (f"available: {', '.join(options)}" if options else None))
            return None
        bound = self.arguments(e, component)
        if bound is None:
            return None
        args: list[Expr] = [Input("BAR", None, f) for f in component.reads]
        if component.reads and not all(("close" if f == comp.TIME else f) in names.fields for f in component.reads):
            self.problem("FL209", f"`{e.func}` reads the BAR fields {', '.join(component.reads)}, and no route "
                                  "delivers BAR here", e.span, "add a BAR route from the data container")
            return None
        windows: list[Slot] = []
        for arg, value in zip(component.args, bound, strict=True):
            if arg.kind is comp.Kind.SERIES:
                inner = self.expr(value, names, role, setting, instances)
                if inner is None:
                    return None  # bind_expr names the first name it cannot see: FL209 or FL201
                args.append(inner)
            else:
                if component.name in comp.LAGGED and not self.lag_is_causal(value, e.func):
                    return None
                slot = self.slot_of(value, arg.kind, f"the argument `{arg.name}` of `{e.func}`")
                if slot is None:
                    return None
                args.append(slot)
                windows.append(slot)
        instances.append(len(instances))
        return Apply(component.name, tuple(args), tuple(windows), instances[-1])

    def lag_is_causal(self, value: ast.Expr, func: str) -> bool:
        """A literal lag of `shift`, `diff` or `pct_change` must be at least 1 (FL512); a param's is checked at run."""
        lag = literal(value)
        if isinstance(lag, int | float) and not isinstance(lag, bool) and lag < 1:
            self.problem("FL512", f"the lag of `{func}` is {lag}; it must be at least 1, as a lag of {lag} "
                                  f"would {'read the same call' if lag == 0 else 'read a later bar'}", value.span,
                         "`shift(x, 1)` is the previous call's value; a strategy cannot see later bars")
            return False
        return True

    def arguments(self, e: ast.Call, component: comp.Component) -> list[ast.Expr] | None:
        """Match positional and keyword arguments to the contract (FL502, FL510)."""
        params = component.args
        if len(e.args) > len(params):
            self.problem("FL502", f"`{component.signature}` takes {len(params)} argument"
                                  f"{'s' if len(params) != 1 else ''}, not {len(e.args)}", e.span)
            return None
        chosen: dict[str, ast.Expr] = {p.name: v for p, v in zip(params, e.args, strict=False)}
        for kw in e.kwargs:
            if kw.name not in {p.name for p in params}:
                self.problem("FL510", f"`{e.func}` takes no argument `{kw.name}`", kw.span,
                             did_you_mean(kw.name, [p.name for p in params]) or f"signature: {component.signature}")
                return None
            if kw.name in chosen:
                self.problem("FL502", f"the argument `{kw.name}` of `{e.func}` is given twice", kw.span)
                return None
            chosen[kw.name] = kw.value
        missing = [p.name for p in params if p.name not in chosen and p.default is comp.REQUIRED]
        if missing:
            self.problem("FL502", f"`{e.func}` is missing the argument{'s' if len(missing) > 1 else ''} "
                                  f"{', '.join(f'`{m}`' for m in missing)}", e.span,
                         f"signature: {component.signature}")
            return None
        return [chosen[p.name] if p.name in chosen else _default(p.default) for p in params]

    def unknown(self, e: ast.Name, names: _Names) -> None:
        if any(d.span == e.span for d in self.out.diagnostics):
            return
        candidates = list(names.locals) + list(names.fields) + list(self.scope.params)
        self.problem("FL201", f"unknown name `{e.id}`", e.span,
                     did_you_mean(e.id, candidates) or "names visible here: " + ", ".join(candidates[:12]))

    def bind_expr(self, e: ast.Expr, names: _Names, role: str, setting: str, path: str,
                  instances: list[int]) -> Expr | None:
        before = len(self.out.diagnostics)
        result = self.expr(e, names, role, setting, instances)
        if result is None and len(self.out.diagnostics) == before:
            for node in _names_in(e):
                if (node.id not in names.locals and node.id not in names.fields and node.id not in names.failed
                        and node.id not in self.scope.params and node.id != "symbol"
                        and not self.missing_route(node.id, path, node.span)):
                    self.unknown(node, names)
                    break
        return result

    # ---- containers ----

    def series_container(self, path: str) -> BoundContainer:
        self.current = path
        node = self.graph.container(path)
        fields = self.delivered(path)
        locals_: dict[str, frozenset[InputKey]] = {}
        bound: list[BoundSetting] = []
        instances: list[int] = []
        failed: set[str] = set()
        allowed = ROLE_SETTINGS.get(node.role)
        for required in REQUIRED_SETTINGS.get(node.role, ()):
            if required not in {s.name for s in node.settings}:
                self.problem("FL508", f"the {node.role} container `{path}` needs a `{required}` setting",
                             node.span, _EXAMPLES.get((node.role, required)))
        if node.role == "classifier" and len(node.settings) != 1:
            self.problem("FL504", f"the classifier `{path}` needs exactly one setting, the regime it produces",
                         node.span, "e.g. `regime = threshold_regime(vol20, 0.015)`")
        for setting in node.settings:
            if allowed is not None and setting.name not in allowed:
                self.unknown_setting(path, node.role, setting)
                continue
            if _is_replay(node.role, setting):
                expr = self.replay(setting.value)  # type: ignore[arg-type]
            else:
                expr = self.bind_expr(setting.value, _Names(dict(locals_), fields, frozenset(failed)), node.role,
                                      setting.name, path, instances)
            if expr is None:
                failed.add(setting.name)
                continue
            needs = reads(expr, locals_)
            locals_[setting.name] = needs
            bound.append(BoundSetting(setting.name, expr, needs, setting.span))
        return BoundContainer(path, node.role, tuple(bound))

    def replay(self, call: ast.Call) -> Replay | None:
        """`replay(DIR, strategy = NAME)`: the folder and the strategy whose captured signals to emit."""
        contract = comp.lookup("strategy", "signal", "replay")
        assert contract is not None
        args = self.arguments(call, contract)
        if args is None:
            return None
        path, strategy = (self.constant(a, arg, "replay") for a, arg in zip(args, contract.args, strict=True))
        if not isinstance(path, str) or not isinstance(strategy, str):
            return None
        self.out.replays.append(ReplaySpec(path, strategy, call.span))
        return Replay(len(self.out.replays) - 1)

    def unknown_setting(self, path: str, role: str, setting: ast.Setting) -> None:
        allowed = sorted(ROLE_SETTINGS.get(role) or ())
        self.problem("FL504", f"a {role} container has no setting `{setting.name}`", setting.span,
                     did_you_mean(setting.name, allowed) or f"{role} settings: {', '.join(allowed) or 'none'}")

    def config_container(self, path: str) -> BoundContainer:
        self.current = path
        node = self.graph.container(path)
        settings = {s.name: s for s in node.settings}
        allowed = ROLE_SETTINGS.get(node.role) or frozenset()
        for s in node.settings:
            if s.name not in allowed:
                self.unknown_setting(path, node.role, s)
        for required in REQUIRED_SETTINGS.get(node.role, ()):
            if required not in settings:
                self.problem("FL508", f"the {node.role} container `{path}` needs a `{required}` setting",
                             node.span, _EXAMPLES.get((node.role, required)))
                return BoundContainer(path, node.role)
        config = getattr(self, f"config_{node.role}")(path, settings)
        return BoundContainer(path, node.role, config=config)

    def config_call(self, role: str, setting: ast.Setting) -> tuple[str, list[ast.Expr]] | None:
        value = setting.value
        if not isinstance(value, ast.Call):
            options = comp.candidates(role, setting.name)
            self.problem("FL501", f"`{setting.name}` must be a call of {', '.join(f'`{o}()`' for o in options)}",
                         value.span)
            return None
        component = comp.lookup(role, setting.name, value.func)
        if component is None:
            options = comp.candidates(role, setting.name)
            self.problem("FL503", f"no component `{value.func}` for the {role} setting `{setting.name}`",
                         value.span, did_you_mean(value.func, options) or f"available: {', '.join(options)}")
            return None
        args = self.arguments(value, component)
        return (component.name, args) if args is not None else None

    def number(self, setting: ast.Setting | None, default: float | None = None, *,
               at_least: float | None = None, above: float | None = None) -> Slot | None:
        """A numeric setting; a literal below `at_least` (or not above `above`) is FL509."""
        if setting is None:
            return self.out.params.literal(default) if default is not None else None
        if not self.in_range(setting.value, f"`{setting.name}`", at_least=at_least, above=above):
            return None
        return self.slot_of(setting.value, comp.Kind.NUMBER, f"`{setting.name}`")

    def in_range(self, expr: ast.Expr, what: str, *, at_least: float | None = None,
                 above: float | None = None) -> bool:
        """False (with FL509) for a literal out of range: cash must be above 0, a commission at least 0, ..."""
        value = literal(expr)
        if not isinstance(value, int | float) or isinstance(value, bool) or check_value(
                "float" if isinstance(value, float) else "int", value):
            return True  # a param (its value is checked when given) or not a number (slot_of says so)
        if at_least is not None and value < at_least:
            self.problem("FL509", f"{what} must be at least {at_least:g}, not {value}", expr.span)
            return False
        if above is not None and value <= above:
            self.problem("FL509", f"{what} must be above {above:g}, not {value}", expr.span)
            return False
        return True

    def config_data(self, path: str, settings: dict[str, ast.Setting]) -> Config | None:
        value = settings["source"].value
        calls = value.items if isinstance(value, ast.ListExpr) else (value,)
        sources = []
        for call in calls:
            found = self.config_call("data", ast.Setting("source", call, span=call.span))
            if found is None:
                continue
            kind, args = found
            component = comp.lookup("data", "source", kind)
            assert component is not None
            evaluated = {}
            for arg, expr in zip(component.args, args, strict=True):
                evaluated[arg.name] = self.constant(expr, arg, kind)
            sources.append(SourceSpec(kind, evaluated, call.span))
        return DataConfig(tuple(sources))

    def constant(self, expr: ast.Expr | None, arg: comp.Arg, func: str) -> object:
        """A data-source argument: a literal or a param's value, checked against the argument's kind."""
        if expr is None:
            return None
        value = literal(expr)
        if value is None and isinstance(expr, ast.Name) and expr.id in self.scope.params:
            self.out.used_params.add(expr.id)
            value = self.values.get(expr.id)
        want = {comp.Kind.STRING: str, comp.Kind.INT: int}.get(arg.kind, float)
        if value is None or not isinstance(value, want) or isinstance(value, bool):
            self.problem("FL501", f"the argument `{arg.name}` of `{func}` must be "
                                  f"{'a string' if want is str else 'a whole number'}", expr.span)
        return value

    def config_risk(self, path: str, settings: dict[str, ast.Setting]) -> Config | None:
        size = self.config_call("risk", settings["size"])
        if size is None:
            return None
        kind, args = size
        size_slot = self.slot_of(args[0], comp.Kind.NUMBER, f"the argument of `{kind}`")
        combine = "sum"
        if "combine" in settings:
            value = settings["combine"].value
            combine = value.id if isinstance(value, ast.Name) else value.value if isinstance(value, ast.String) else ""
            if combine not in COMBINE_RULES:
                self.problem("FL509", "`combine` must be one of " + ", ".join(COMBINE_RULES), value.span,
                             did_you_mean(combine, COMBINE_RULES))
                return None
        long_only = self.number(settings.get("long_only"), 1.0)
        rebalance = self.number(settings.get("rebalance"), 0.0)
        exits = {name: self.exit_level(settings.get(name)) for name in EXIT_SETTINGS}
        if size_slot is None or long_only is None or rebalance is None or any(
                name in settings and slot is None for name, slot in exits.items()):
            return None
        written = [settings[name] for name in EXIT_SETTINGS if name in settings]
        if written and not any(e.event == "BAR" for e in self.graph.incoming(path)):
            source = next(iter(self.graph.of_role("data")), "data")
            self.problem("FL209", f"`{written[0].name}` reads each bar's open, high and low, and no route "
                                  f"delivers BAR to `{path}`", written[0].span,
                         f"add `broadcast {source} -> {path} : BAR`")
            return None
        limits = {name: self.number(settings.get(name), at_least=0) for name in ("max_position", "max_drawdown")}
        if any(name in settings and slot is None for name, slot in limits.items()):
            return None
        return RiskConfig(kind, size_slot, limits["max_position"], limits["max_drawdown"], long_only, combine,
                          rebalance, **exits)

    def exit_level(self, setting: ast.Setting | None) -> Slot | None:
        """An exit's percentage: a number or a param; a literal must be positive (docs/semantics.md, 6a)."""
        if setting is None:
            return None
        value = literal(setting.value)
        if isinstance(value, int | float) and not isinstance(value, bool) and value <= 0:
            self.problem("FL509", f"`{setting.name}` is a percentage of the entry price and must be above 0, "
                                  f"not {value}", setting.value.span, f"e.g. `{setting.name} = 5` for 5 %")
            return None
        return self.number(setting)

    def config_execution(self, path: str, settings: dict[str, ast.Setting]) -> Config | None:
        fill = "next_open"
        if "fill" in settings:
            found = self.config_call("execution", settings["fill"])
            if found is None:
                return None
            fill = found[0]
        commission, commission_slot = None, None
        if "commission" in settings:
            found = self.config_call("execution", settings["commission"])
            if found is None:
                return None
            commission = found[0]
            if not self.in_range(found[1][0], f"the argument of `{commission}`", at_least=0):
                return None
            commission_slot = self.slot_of(found[1][0], comp.Kind.NUMBER, f"the argument of `{commission}`")
        slippage = None
        if "slippage" in settings:
            found = self.config_call("execution", settings["slippage"])
            if found is None:
                return None
            if not self.in_range(found[1][0], "the argument of `bps`", at_least=0):
                return None
            slippage = self.slot_of(found[1][0], comp.Kind.NUMBER, "the argument of `bps`")
        return ExecutionConfig(fill, commission, commission_slot, slippage)

    def config_portfolio(self, path: str, settings: dict[str, ast.Setting]) -> Config | None:
        cash = self.number(settings.get("cash"), DEFAULT_CASH, above=0)
        return PortfolioConfig(cash) if cash is not None else None

    # ---- route predicates ----

    def guard_names(self, edge: Edge) -> _Names:
        event = self.scope.events[edge.event]
        field_names = self.features_of(edge.source) if edge.event in ("FEATURE", "REGIME") else list(event.fields)
        source = None if edge.event == "BAR" else edge.source
        return _Names({}, {f: Input(edge.event, source, f) for f in field_names})

    def guards(self, edge: Edge) -> None:
        self.current = ""
        if edge.guards is None:
            return
        names = self.guard_names(edge)
        bound = []
        for guard in edge.guards:
            required = [self.bind_expr(e, names, "strategy", "when", edge.target, []) for e in guard.required]
            excluded = [self.bind_expr(e, names, "strategy", "when", edge.target, []) for e in guard.excluded]
            if any(x is None for x in required + excluded):
                return
            if any(isinstance(x, Apply) for e in required + excluded for x in walk(e)):
                self.problem("FL501", "a route predicate compares fields; it cannot call a component",
                             edge.origins[0])
                return
            bound.append(BoundGuard(tuple(required), tuple(excluded)))  # type: ignore[arg-type]
        self.out.guards[(edge.source, edge.target, edge.event, edge.feedback)] = tuple(bound)


def _unreached(graph: FlowGraph, scope: Scope) -> frozenset[str]:
    """The containers no data container reaches (FL402's), when there is a data container at all."""
    import networkx as nx

    sources = [n for n in graph.nodes if (role := scope.roles.get(graph.role(n))) and role.produces
               and not role.consumes]
    if not sources:
        return frozenset()
    reached = {node for layer in nx.bfs_layers(graph.g, sources) for node in layer}
    return frozenset(n for n in graph.nodes if n not in reached)


def _is_replay(role: str, setting: ast.Setting) -> bool:
    value = setting.value
    return role == "strategy" and setting.name == "signal" and isinstance(value, ast.Call) and value.func == "replay"


def _names_in(e: ast.Expr):
    if isinstance(e, ast.Name):
        yield e
    elif isinstance(e, ast.Call):
        for a in e.args:
            yield from _names_in(a)
        for k in e.kwargs:
            yield from _names_in(k.value)
    elif isinstance(e, ast.Binary):
        yield from _names_in(e.left)
        yield from _names_in(e.right)
    elif isinstance(e, ast.Unary):
        yield from _names_in(e.operand)
    elif isinstance(e, ast.ListExpr):
        for item in e.items:
            yield from _names_in(item)


def _default(value: object) -> ast.Expr | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return ast.Bool(value)
    if isinstance(value, str):
        return ast.String(value)
    return ast.Number(value, str(value))  # type: ignore[arg-type]


_EXAMPLES = {
    ("data", "source"): 'e.g. `source = sample("sp500")`',
    ("strategy", "signal"): "e.g. `signal = crossover(fast_ma, slow_ma)`",
    ("risk", "size"): "e.g. `size = fixed(100)` or `size = percent_equity(10)`",
}


def bind(graph: FlowGraph, scope: Scope, values: dict[str, Value]) -> Binding:
    """Bind the settings of every routing container and every route predicate of a graph."""
    binder = Binder(graph, scope, values)
    for path in graph.nodes:
        role = graph.role(path)
        if role in SERIES_ROLES:
            binder.out.containers[path] = binder.series_container(path)
        elif role in ("data", "risk", "execution", "portfolio"):
            binder.out.containers[path] = binder.config_container(path)
        else:
            binder.out.containers[path] = BoundContainer(path, role)
    for edge in graph.edges():
        binder.guards(edge)
    return binder.out
