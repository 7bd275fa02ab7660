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
from flowc.compiler.ir import BoundContainer, BoundSetting, InputKey, Replay, ReplaySpec, reads
from flowc.compiler.schema import REQUIRED_SETTINGS, ROLE_SETTINGS, Roles
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
        if node.role == Roles.CLASSIFIER and len(node.settings) != 1:
            self.problem("FL504", f"the classifier `{path}` needs exactly one setting, the regime it produces",
                         node.span, "e.g. `regime = threshold_regime(vol20, 0.015)`")
        for setting in node.settings:
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
        return BoundContainer(path, node.role, tuple(bound))

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
