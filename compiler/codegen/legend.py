"""The generated module's docstring: a legend of its names' prefixes and a table of parameter slots.

Generated code reads `p[12]`, `book_n5_risk[s]` or `fpx_n6_execution_1`; the legend says what each
prefix holds, and the table which param (or literal of the file) each slot of `p` is, and where
the program reads it. Only validated identifiers (params, container paths, settings) appear.
"""

from __future__ import annotations

import dataclasses

from flowc.compiler.ir import Apply, Contract, Fee, Slot, walk
from flowc.compiler.plan import Plan

# The names of the generated code: a prefix, then the identifier of the container (`n<index>_<name>`).
LEGEND = (
    ("p[k] p_k", "the parameter vector (slots below), slot k in a local; symlit[s] the literal of symbol s"),
    ("t, s", "the step (unsigned) and the symbol; t - ob a step's row in a tile"),
    ("present", "whether symbol s has a bar at step t [T, S]; None when every one has (`present_nb`)"),
    ("out_ pres_", "a series container's events [T, S, field], their presence [T, S]"),
    ("o_ pr_", "the same in locals: where only its group of the prefix reads them, or the prefix is inlined"),
    ("v_ in_", "a setting's value at (t, s); whether input k is present"),
    ("st_ row_", "a component call's state [S, size]; the row of symbol s"),
    ("c_ a_", "a component call's counters in locals (step form); its value"),
    ("rp<k>_", "replayed signals: present [T, S], values [T, S, 2]"),
    ("tf_ hold_ coarse_", "a timeframe's coarse bars [S, 14] (semantics 4a), its held event [S, fields + presence]; "
                          "whether a coarse bar is seen at (t, s)"),
    ("book_ direction_ quantity_", "a risk container's book, remembered direction, held quantity [S]"),
    ("entry_ extreme_ latched_ bars_", "its tracked position [S] (semantics 6a)"),
    ("stop_ goal_ trail_", "its exit levels [S]; a trailing stop's amount (semantics 6a)"),
    ("last_close_", "a risk container's or a portfolio's last close per symbol [S]"),
    ("seen_", "the latest PORTFOLIO a risk container received: equity, cash, drawdown; position [S]"),
    ("ordq_ ordpx_ ordlv_ ordll_ ordp_", "an ORDER at (t, s): quantity, price (NaN: market), level (a limit's "
                                         "or stop's), limit (a stop-limit's), presence"),
    ("pend_", "an execution container's pending quantity per ORDER input [K, S]"),
    ("wq_ wlv_ wll_ wtrig_ wage_", "its working order per ORDER input [K, S]: quantity, level, a stop-limit's "
                                   "limit and trigger, bars checked"),
    ("fq_ fpx_ fc_ fpres_", "its fills at (t, s) by slot: quantity, price, commission, presence"),
    ("pos_ held_", "a portfolio's positions [S]; how many are not 0"),
    ("worth_", "each position's value at its last close, -0.0 where flat [S] (`mark_to_market_nb`)"),
    ("cash_ equity_ peak_", "its account; drawdown_ too, and ran_: it ran at step t"),
    ("fb_", "its PORTFOLIO event, read through the feedback at the next step"),
    ("orders fills cnt", "the record tables (rows as the ledger's records), their row counts"),
)


def legend(plan: Plan) -> list[str]:
    """The module docstring's legend of name prefixes and its table of parameter slots."""
    width = max(len(names) for names, _ in LEGEND)
    lines = ["", "Names: a prefix, then the container's identifier.", ""]
    lines += [f"    {names:<{width}}  {meaning}" for names, meaning in LEGEND]
    uses = _slot_uses(plan)
    lines += ["", "Parameter slots: the param, or a literal of the file, and where it is used.", ""]
    for k, name in enumerate(plan.param_names):
        lines.append(f"    {f'p[{k}]':<6} {name or '(literal)'}: {', '.join(uses.get(k, ())) or '-'}")
    return lines


def _slot_uses(plan: Plan) -> dict[int, list[str]]:
    """Where each parameter slot is read: `container.setting`, `container.config field`, a window or a guard."""
    uses: dict[int, list[str]] = {}

    def use(slot: int, where: str) -> None:
        if where not in uses.setdefault(slot, []):
            uses[slot].append(where)

    for node in plan.nodes:
        for setting in node.container.settings:
            for e in walk(setting.expr):
                if isinstance(e, Slot):
                    use(e.index, f"{node.path}.{setting.name}")
                elif isinstance(e, Apply):
                    for window in e.windows:
                        use(window.index, f"{node.path}.{setting.name}")
        config = node.container.config
        if config is not None and dataclasses.is_dataclass(config):
            for f in dataclasses.fields(config):
                value = getattr(config, f.name)
                if isinstance(value, Slot):
                    use(value.index, f"{node.path} {f.name.removesuffix('_slot')}")
                if isinstance(value, Contract):
                    use(value.multiplier.index, f"{node.path} contract multiplier")
                    use(value.margin.index, f"{node.path} contract margin")
                for fee in value if isinstance(value, tuple) else (value,):
                    if isinstance(fee, Fee):
                        use(fee.rate.index, f"{node.path} {f.name}")
        for item in node.inputs:
            for edge in item.edges:
                for g in edge.guards or ():
                    for e in (x for expr in (*g.required, *g.excluded) for x in walk(expr)):
                        if isinstance(e, Slot):
                            use(e.index, f"route {edge.source} -> {node.path}")
    return uses
