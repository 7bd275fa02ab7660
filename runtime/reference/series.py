"""The data containers (BAR) and the series containers (feature, classifier, strategy).

Implements `docs/semantics.md`, section 2 (the BAR event and its `time` field) and section 4
(Settings and series containers), with the SIGNAL a strategy emits and the replayed one.
"""

from __future__ import annotations

import numpy as np

from flowc.compiler.ir import BoundContainer, Replay, cross_sections
from flowc.compiler.schema import BAR_FIELDS, Events, Roles
from flowc.runtime.reference.arithmetic import NAN, sign, truthy
from flowc.runtime.reference.calendar_fields import seconds
from flowc.runtime.reference.components import Component
from flowc.runtime.reference.cross_section import cross_section
from flowc.runtime.reference.expressions import Record, evaluate
from flowc.runtime.reference.network import ContainerInput, Emitted, Network
from flowc.runtime.reference.timeframes import CoarseBars

BAR = (Events.BAR.value, None)  # the BAR input's key


class Data:
    def __init__(self, net: Network, owned: list[bool]):
        self.net = net
        self.owned = owned

    def step(self, t: int) -> Emitted:
        m = self.net.market
        time = seconds(m.timestamps[t])
        return [[{**{f: float(getattr(m, f)[t, s]) for f in BAR_FIELDS}, "time": time}]
                if self.owned[s] and m.present[t, s] else [] for s in range(m.n_symbols)]


class Series:
    """A feature, classifier or strategy container: settings evaluated per symbol."""

    def __init__(self, net: Network, bound: BoundContainer, inputs: list[ContainerInput], steps: int):
        self.net = net
        self.bound = bound
        self.inputs = inputs
        self.states: list[dict[int, Component]] = [{} for _ in net.market.symbols]
        shape = (steps, net.market.n_symbols) if bound.role == Roles.STRATEGY else (0, 0)
        self.log = (np.zeros(shape, bool), np.zeros(shape), np.zeros(shape))  # SIGNAL: present, direction, strength
        tf = bound.timeframe
        self.coarse = [CoarseBars(tf) for _ in net.market.symbols] if tf is not None else []
        self.held: list[list[Record]] = [[] for _ in net.market.symbols]  # the latest coarse step's event
        self.across = any(cross_sections(s.expr) for s in bound.settings)  # a cross-sectional operator (5a)

    def step(self, t: int) -> Emitted:
        symbols = range(self.net.market.n_symbols)
        if self.coarse:
            return [self._held(t, s) for s in symbols]
        if not self.across:
            return [self._emit(t, s, self._settings(s)) for s in symbols]
        # across the symbols (section 5a): setting by setting, each for every symbol; a cross-sectional
        # operator's argument for every symbol first, then the setting's value
        scopes = [self.net.scope(s, self.net.present(self.inputs, s)) for s in symbols]
        for s in symbols:
            scopes[s].states = self.states[s]
        for setting in self.bound.settings:
            if isinstance(setting.expr, Replay):
                continue
            runs = [setting.reads <= scope.inputs.keys() for scope in scopes]
            for section in cross_sections(setting.expr):
                values = [evaluate(section.arg, scope) if run else NAN for scope, run in zip(scopes, runs, strict=True)]
                n = int(self.net.params[section.n.index]) if section.n is not None else 0
                for scope, value in zip(scopes, cross_section(section.op, values, n), strict=True):
                    scope.sections[section.index] = value
            for scope, run in zip(scopes, runs, strict=True):
                if run:
                    scope.settings[setting.name] = evaluate(setting.expr, scope)
        return [self._emit(t, s, scopes[s].settings) for s in symbols]

    def _held(self, t: int, s: int) -> list[Record]:
        """With a timeframe (section 4a): where a coarse bar is seen, the settings run on it as their BAR;
        the event is the one of the latest step that saw a coarse bar."""
        present = self.net.present(self.inputs, s)
        bar = present.get(BAR)
        if bar is not None and self.coarse[s].add(bar):
            present[BAR] = self.coarse[s].finished  # type: ignore[assignment]
            self.held[s] = self._emit(t, s, self._settings(s, present))
        elif self.held[s] and self.bound.role == Roles.STRATEGY:
            self._log(t, s, self.held[s][0])
        return self.held[s]

    def _settings(self, s: int, present: dict | None = None) -> dict[str, float]:
        present = self.net.present(self.inputs, s) if present is None else present
        scope = self.net.scope(s, present)
        scope.states = self.states[s]
        for setting in self.bound.settings:
            if setting.reads <= present.keys() and not isinstance(setting.expr, Replay):
                scope.settings[setting.name] = evaluate(setting.expr, scope)
        return scope.settings

    def _emit(self, t: int, s: int, ran: dict[str, float]) -> list[Record]:
        if self.bound.role != Roles.STRATEGY:
            return [dict(ran)] if len(ran) == len(self.bound.settings) else []
        active = self.bound.setting("active") is None or truthy(ran.get("active", NAN))
        signal = self.bound.setting("signal")
        if signal is not None and isinstance(signal.expr, Replay):  # the captured SIGNAL, as it was
            replayed, values = self.net.replays[signal.expr.index]
            if not replayed[t, s] or not active:
                return []
            event = {"direction": float(values[t, s, 0]), "strength": float(values[t, s, 1])}
        elif "signal" not in ran or not active:
            return []
        else:
            value = ran["signal"]
            event = {"direction": sign(value), "strength": abs(value) if value == value else 0.0}
        self._log(t, s, event)
        return [event]

    def _log(self, t: int, s: int, event: Record) -> None:
        self.log[0][t, s], self.log[1][t, s], self.log[2][t, s] = True, event["direction"], event["strength"]
