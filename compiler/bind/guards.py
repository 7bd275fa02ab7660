"""Binding the predicates of routes (`when ...`): comparisons of the fields the route's event carries.

A route predicate is bound like a strategy's `when` expression but sees only the fields of its
route's event (`guard_names` in `visibility.py`), and may not call a component (FL501).
"""

from __future__ import annotations

from flowc.compiler.bind.exprs import ExprBinder
from flowc.compiler.graph import Edge
from flowc.compiler.ir import Apply, BoundGuard, walk
from flowc.compiler.schema import Roles


class GuardBinder(ExprBinder):
    def guards(self, edge: Edge) -> None:
        self.current = ""
        if edge.guards is None:
            return
        names = self.guard_names(edge)
        bound = []
        for guard in edge.guards:
            required = [self.bind_expr(e, names, Roles.STRATEGY, "when", edge.target, []) for e in guard.required]
            excluded = [self.bind_expr(e, names, Roles.STRATEGY, "when", edge.target, []) for e in guard.excluded]
            if any(x is None for x in required + excluded):
                return
            if any(isinstance(x, Apply) for e in required + excluded for x in walk(e)):
                self.problem("FL501", "a route predicate compares fields; it cannot call a component",
                             edge.origins[0])
                return
            bound.append(BoundGuard(tuple(required), tuple(excluded)))  # type: ignore[arg-type]
        self.out.guards[(edge.source, edge.target, edge.event, edge.feedback)] = tuple(bound)
