"""Bind every setting and route predicate of a workflow's graph to the IR of `ir.py`.

One module per job: `state.py` (the `Binding` built and how problems are reported),
`visibility.py` (what a container can see), `values.py` (fixed values, call arguments, range
checks), `exprs.py` (expressions to the IR), `configs.py` (the data, risk, execution and
portfolio binders), `containers.py` (one container's settings), `guards.py` (route predicates)
and `binder.py` (the entry point, `bind`).
"""

from flowc.compiler.bind.binder import SERIES_ROLES, Binder, bind
from flowc.compiler.bind.state import Binding, Names

__all__ = ["SERIES_ROLES", "Binder", "Binding", "Names", "bind"]
