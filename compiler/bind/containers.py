"""Binding one container: its settings in order, checked against what its role takes.

A series container (feature, classifier, strategy) binds each setting as an expression that
sees the settings above it; a config container (data, risk, execution, portfolio) hands its
settings to the binder of its role in `configs.py`. Both check the settings a role requires
(FL508) and allows (FL504); `replay(...)` is the one strategy signal that is not an expression.
"""

from __future__ import annotations

from flowc.compiler import components as comp
from flowc.compiler.bind.risk import RiskBinder
from flowc.compiler.bind.state import Names
from flowc.compiler.ir import (
    TIMEFRAME_KINDS,
    BoundContainer,
    BoundSetting,
    CrossInput,
    CrossSection,
    InputKey,
    Replay,
    ReplaySpec,
    Timeframe,
    reads,
    walk,
)
from flowc.compiler.schema import REQUIRED_SETTINGS, ROLE_SETTINGS, TIMEFRAME, Events, Roles
from flowc.dsl import ast
from flowc.dsl.diagnostics import did_you_mean


class ContainerBinder(RiskBinder):
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
                             node.span, EXAMPLES.get((node.role, required)))
        settings = [s for s in node.settings if s.name != TIMEFRAME]
        clock = next((s for s in node.settings if s.name == TIMEFRAME), None)
        timeframe = self.timeframe(node.role, clock) if clock is not None else None
        if node.role == Roles.CLASSIFIER and len(settings) != 1:
            self.problem("FL504", f"the classifier `{path}` needs exactly one setting, the regime it produces",
                         node.span, "e.g. `regime = threshold_regime(vol20, 0.015)`")
        for setting in settings:
            if allowed is not None and setting.name not in allowed:
                self.unknown_setting(path, node.role, setting)
                continue
            if is_replay(node.role, setting):
                expr = self.replay(setting.value)  # type: ignore[arg-type]
            else:
                expr = self.bind_expr(setting.value, Names(dict(locals_), fields, frozenset(failed)), node.role,
                                      setting.name, path, instances)
            if expr is None:
                failed.add(setting.name)
                continue
            needs = reads(expr, locals_)
            locals_[setting.name] = needs
            bound.append(BoundSetting(setting.name, expr, needs, setting.span))
        if timeframe is not None and clock is not None:
            self.coarse_reads(path, clock, fields, bound)
        return BoundContainer(path, node.role, tuple(bound), timeframe=timeframe)

    def coarse_reads(self, path: str, clock: ast.Setting, fields: dict, bound: list[BoundSetting]) -> None:
        """What a container with a timeframe cannot do: build bars without BAR (FL304), read a bar of another
        symbol, whose coarse bar is at another step (FL513), or rank across symbols seeing their coarse bars at
        different steps (FL514)."""
        if not any(f.event == Events.BAR for f in fields.values()):
            self.problem("FL304", f"`{path}` has a timeframe and no BAR input to build its bars from", clock.span,
                         f"e.g. `broadcast data -> {path} : BAR`")
        for setting in bound:
            for e in walk(setting.expr):
                if isinstance(e, CrossInput) and e.event == Events.BAR:
                    self.problem("FL513", f"`{e.field}@{self.out.symbol_literals[e.literal]}` in a container with a "
                                          "timeframe: another symbol's coarse bar is seen at another step",
                                 setting.span, "compute it in a feature container with the same timeframe and read "
                                               "that feature at the other symbol")
                elif isinstance(e, CrossSection):
                    self.problem("FL514", f"`{e.op}` in a container with a timeframe: the symbols' coarse bars are "
                                          "seen at different steps", setting.span,
                                 "rank the coarse feature in a container without a timeframe, which sees every "
                                 "symbol's latest coarse value at each step")

    def timeframe(self, role: str, setting: ast.Setting) -> Timeframe | None:
        """`timeframe = weekly()`, `every(5)`, ...: the coarser bars the container computes on (section 4a)."""
        value = setting.value
        func = value.func if isinstance(value, ast.Call) else ""
        if func not in TIMEFRAME_KINDS:  # not a series component of the same name either
            options = ", ".join(f"`{k}()`" for k in TIMEFRAME_KINDS)
            self.problem("FL503", "`timeframe` must be a call of " + options, value.span,
                         did_you_mean(func, TIMEFRAME_KINDS) or "e.g. `timeframe = weekly()` or `every(5)`")
            return None
        found = self.config_call(role, setting)
        if found is None:
            return None
        kind, args = found
        if not args:
            return Timeframe(kind)
        n = self.constant(args[0], comp.Arg("n", comp.Kind.INT), kind)
        if not isinstance(n, int) or isinstance(n, bool):
            return None
        if n < 1:
            self.problem("FL509", f"the argument of `{kind}` must be at least 1, not {n}", args[0].span)
            return None
        return Timeframe(kind, n)

    def replay(self, call: ast.Call) -> Replay | None:
        """`replay(DIR, strategy = NAME)`: the folder and the strategy whose captured signals to emit."""
        contract = comp.lookup(Roles.STRATEGY, "signal", "replay")
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
                             node.span, EXAMPLES.get((node.role, required)))
                return BoundContainer(path, node.role)
        if node.role == Roles.RISK:
            return self.risk_container(path, settings)
        config = getattr(self, f"config_{node.role}")(path, settings)
        return BoundContainer(path, node.role, config=config)


def is_replay(role: str, setting: ast.Setting) -> bool:
    """Whether a setting is a strategy's `signal = replay(...)`."""
    value = setting.value
    return (role == Roles.STRATEGY and setting.name == "signal" and isinstance(value, ast.Call)
            and value.func == "replay")


EXAMPLES = {  # the hint of FL508 for a required setting
    (Roles.DATA, "source"): 'e.g. `source = sample("sp500")`',
    (Roles.STRATEGY, "signal"): "e.g. `signal = crossover(fast_ma, slow_ma)`",
    (Roles.RISK, "size"): "e.g. `size = fixed(100)`, `size = percent_equity(10)` or `size = weight(0.5)`",
}
