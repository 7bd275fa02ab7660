"""The entry point: `bind` walks a workflow's graph and binds every container and every route predicate.

`Binder` is the binder whole, put together from the mixin of each job (see the package's
modules); `bind` decides by role which job binds each container.
"""

from __future__ import annotations

from flowc.compiler.bind.containers import ContainerBinder
from flowc.compiler.bind.guards import GuardBinder
from flowc.compiler.bind.state import Binding
from flowc.compiler.graph import FlowGraph
from flowc.compiler.ir import BoundContainer
from flowc.compiler.schema import Roles
from flowc.compiler.scope import Scope, Value

SERIES_ROLES = (Roles.FEATURE, Roles.CLASSIFIER, Roles.STRATEGY)
CONFIG_ROLES = (Roles.DATA, Roles.RISK, Roles.EXECUTION, Roles.PORTFOLIO)


class Binder(ContainerBinder, GuardBinder):
    """Binds the settings and route predicates of one graph into `self.out`, a `Binding`."""


def bind(graph: FlowGraph, scope: Scope, values: dict[str, Value]) -> Binding:
    """Bind the settings of every routing container and every route predicate of a graph."""
    binder = Binder(graph, scope, values)
    for path in graph.nodes:
        role = graph.role(path)
        if role in SERIES_ROLES:
            binder.out.containers[path] = binder.series_container(path)
        elif role in CONFIG_ROLES:
            binder.out.containers[path] = binder.config_container(path)
        else:
            binder.out.containers[path] = BoundContainer(path, role)
    for edge in graph.edges():
        binder.guards(edge)
    return binder.out
