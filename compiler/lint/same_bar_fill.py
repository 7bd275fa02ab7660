"""FL406: an order filled at the close of the bar whose close, high or low decided it.

`fill = close()` fills a market order at the close of the bar it arrives on, and a risk container's
`entry = market_on_close()` fills its entries there whatever the fill mode. When the decision
behind the order read that bar's close, high or low (through any container upstream of the risk
container, on forward routes), the run trades at a price it could only know once it was too late
to trade at it: a same-bar look-ahead, the most common timing bug of backtests. The compiler knows
the whole topology, so it can say which setting read which field.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.compiler.ir import ExecutionConfig, Input, RiskConfig, walk
from flowc.compiler.schema import Events, Roles
from flowc.compiler.workflow import Analysis
from flowc.dsl.diagnostics import Diagnostic, diagnose

LATE = ("close", "high", "low")  # known only once the bar is over; `open` is known at its start


def same_bar_fill(analysis: Analysis) -> Iterator[Diagnostic]:
    graph, binding = analysis.graph, analysis.binding
    if graph is None or binding is None:
        return
    for path in graph.of_role(Roles.EXECUTION):
        config = binding.containers[path].config
        if not isinstance(config, ExecutionConfig) or config.fill != "close":
            continue
        fill = next((s for s in graph.container(path).settings if s.name == "fill"), None)
        for edge in graph.incoming(path, Events.ORDER, feedback=False):
            if binding.containers[edge.source].config.at_open:  # type: ignore[union-attr]  # fills at the next open
                continue
            found = _late_read(analysis, edge.source)
            if found is not None:
                container, setting, field = found
                yield diagnose("FL406", fill.span if fill else graph.container(path).span,
                               "`fill = next_open()` fills at the next bar's open, the first price after the "
                               "decision", execution=path, risk=edge.source, container=container, setting=setting,
                               field=field)
                break
    yield from _market_on_close(analysis)


def _market_on_close(analysis: Analysis) -> Iterator[Diagnostic]:
    """`entry = market_on_close()` decided on its own bar's close, high or low: pointed at `entry`."""
    graph, binding = analysis.graph, analysis.binding
    assert graph is not None and binding is not None
    for path in graph.of_role(Roles.RISK):
        config = binding.containers[path].config
        if not isinstance(config, RiskConfig) or config.entry != "market_on_close":
            continue
        found = _late_read(analysis, path)
        executions = [e.target for e in graph.outgoing(path, Events.ORDER)  # `fill = close()`: warned above
                      if binding.containers[e.target].config.fill != "close"]  # type: ignore[union-attr]
        if found is None or not executions:
            continue
        container, setting, field = found
        entry = next((s for s in graph.container(path).settings if s.name == "entry"), None)
        yield diagnose("FL406", entry.span if entry else graph.container(path).span,
                       "`entry = market_on_open()` fills at the next bar's open, the first price after the decision",
                       execution=executions[0], risk=path, container=container, setting=setting, field=field)


def _late_read(analysis: Analysis, start: str) -> tuple[str, str, str] | None:
    """The first (container, setting, field) upstream of `start` on forward routes, `start` included,
    whose setting reads this bar's close, high or low."""
    graph, binding = analysis.graph, analysis.binding
    assert graph is not None and binding is not None
    seen, stack = {start}, [start]
    while stack:
        path = stack.pop(0)
        for setting in binding.containers[path].settings:
            for e in walk(setting.expr):
                if isinstance(e, Input) and e.event == Events.BAR and e.field in LATE:
                    return path, setting.name, e.field
        for edge in graph.incoming(path, feedback=False):
            if edge.source not in seen and graph.role(edge.source) != Roles.DATA:
                seen.add(edge.source)
                stack.append(edge.source)
    return None
