"""The plain-Python reference engine: the oracle the compiled engine is tested against.

Why it exists: the compiled engine (generated numba code, hoisting, a static schedule) is fast
but hard to read, so it is checked bit for bit against this one, written for clarity from the
run semantics (`docs/semantics.md`, spec sections 4, 6, 8 and 8a) and sharing no kernel code
with it. Everything here is a plain loop over steps, containers in schedule order and symbols,
with events as small dicts; every component is re-implemented from its recipe with the same
floating-point operations in the same order (running sums oldest first, no `sum()` or numpy
reductions), so that agreement means bit-identical results rather than "close enough".

`run_reference(analysis, market, params)` fills the same `Ledger` as the compiled engine.
One module per job, each citing the section of `docs/semantics.md` it implements:

- `arithmetic`: IEEE division, left-to-right sums, truth and the binary operators (section 3).
- `windowed`, `recursive`, `operators`, `calendar_fields`: the components (section 5);
  `components`: the table of them by name (`COMPONENTS`) and the user components.
- `expressions`: evaluating an expression at one (step, symbol) (section 3).
- `network`: a container's inputs and the delivery of events along the routes (section 2).
- `series`: the data and series containers (sections 2, 4); `risk` with its exits (6, 6a);
  `execution` (7); `portfolio` (8).
- `driver`: the schedule, the step loop, the trace hook and the ledger (sections 1, 9).
"""

from flowc.runtime.reference.components import COMPONENTS, Component
from flowc.runtime.reference.driver import Trace, run_reference, schedule
from flowc.runtime.reference.expressions import Record, evaluate
from flowc.runtime.reference.network import Emitted

__all__ = ["COMPONENTS", "Component", "Emitted", "Record", "Trace", "evaluate", "run_reference", "schedule"]
