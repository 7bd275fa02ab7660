"""What a container can see: the fields its incoming routes deliver, and which route a name is missing.

This is where names meet routes: a container sees its own earlier settings, the fields its
incoming routes deliver (BAR fields, the features of a FEATURE source, the setting that made a
REGIME) and the params. A name that exists elsewhere but that no route delivers is an error
naming the missing route (FL209); two routes delivering one name is FL306.
"""

from __future__ import annotations

from flowc.compiler.bind.state import BinderState, Names
from flowc.compiler.graph import Edge
from flowc.compiler.ir import Input
from flowc.compiler.schema import BAR_FIELDS, TIMEFRAME, Events, Roles
from flowc.dsl.source import Span


class VisibilityBinder(BinderState):
    def features_of(self, path: str) -> list[str]:
        node = self.graph.container(path)
        return [s.name for s in node.settings if s.name != TIMEFRAME]  # the clock is not a value

    def delivered(self, path: str) -> dict[str, Input]:
        fields: dict[str, Input] = {}
        owners: dict[str, str] = {}
        for edge in self.graph.incoming(path, feedback=False):
            if edge.event == Events.BAR:
                names = {f: Input(Events.BAR.value, None, f) for f in BAR_FIELDS}
            elif edge.event in (Events.FEATURE, Events.REGIME):
                names = {f: Input(edge.event, edge.source, f) for f in self.features_of(edge.source)}
            else:
                continue
            for name, value in names.items():
                if name in owners and owners[name] != (edge.source if value.source else Events.BAR):
                    self.problem("FL306", f"`{name}` reaches `{path}` from both `{owners[name]}` and "
                                          f"`{edge.source}`", self.graph.container(path).span,
                                 "rename one of the two settings")
                    continue
                owners[name] = edge.source if value.source else Events.BAR
                fields[name] = value
        return fields

    def missing_route(self, name: str, path: str, span: Span) -> bool:
        """Report FL209 when `name` exists somewhere in the graph but no route brings it to `path`."""
        if name in BAR_FIELDS:
            source = next(iter(self.graph.of_role(Roles.DATA)), Roles.DATA)
            self.problem("FL209", f"`{name}` is a field of BAR, and no route delivers BAR to `{path}`", span,
                         f"add `broadcast {source} -> {path} : BAR`")
            return True
        for other in self.graph.nodes:
            role = self.graph.role(other)
            if role in (Roles.FEATURE, Roles.CLASSIFIER) and other != path and name in self.features_of(other):
                event = Events.FEATURE if role == Roles.FEATURE else Events.REGIME
                self.problem("FL209", f"`{name}` is {'a feature' if event == Events.FEATURE else 'the regime'} of "
                                      f"`{other}`, and no route delivers its {event} to `{path}`", span,
                             f"add `route {other} -> {path} : {event}`")
                return True
        return False

    def guard_names(self, edge: Edge) -> Names:
        """What a route predicate can see: the fields of the event its route carries."""
        event = self.scope.events[edge.event]
        field_names = (self.features_of(edge.source) if edge.event in (Events.FEATURE, Events.REGIME)
                       else list(event.fields))
        source = None if edge.event == Events.BAR else edge.source
        return Names({}, {f: Input(edge.event, source, f) for f in field_names})
