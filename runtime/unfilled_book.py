"""FL618: a risk container whose book counts orders that never filled.

With `book = orders` (the default) a risk container's orders are the target minus the units it
sent (docs/semantics.md, section 6). An order that expires, that the portfolio's buying power cuts
or that a participation cap drops stays in that book: the container believes it holds what it
never bought, and the order that closes the position later sells it anyway, so a long-only book
can end short. Whether it happens is only known once the run is over, from the order records.
"""

from __future__ import annotations

import numpy as np

from flowc.compiler.ir import RiskConfig
from flowc.compiler.workflow import Analysis
from flowc.dsl.diagnostics import Diagnostic, diagnose
from flowc.runtime.ledger import ORDER_STATUS, Ledger

LOST = ("expired", "cut", "capped")  # the statuses of units that left an order unfilled for good


def unfilled_in_book(analysis: Analysis, ledger: Ledger) -> list[Diagnostic]:
    """FL618 for each risk container with `book = orders` that has expired, cut or capped units."""
    assert analysis.binding is not None and analysis.graph is not None
    found = []
    for r, path in enumerate(ledger.risks):
        config = analysis.binding.containers[path].config
        if not isinstance(config, RiskConfig) or config.book != "orders":
            continue
        mine = ledger.orders[ledger.orders["risk"] == r]
        counts = {status: mine[mine["status"] == ORDER_STATUS.index(status)] for status in LOST}
        lost = [(status, rows) for status, rows in counts.items() if len(rows)]
        if not lost:
            continue
        units = float(sum(np.abs(rows["quantity"]).sum() for _, rows in lost))
        kinds = ", ".join(f"{len(rows)} {status}" for status, rows in lost)
        found.append(diagnose("FL618", analysis.graph.container(path).span,
                              "`book = committed` sizes against the portfolio's position and the orders still in "
                              "flight (it needs a PORTFOLIO route to the container)",
                              risk=path, units=f"{units:,.10g}", kinds=kinds))
    return found
