"""Code generation: a plan becomes the source of one Python module with one `@njit` program.

The module is specialised to the plan: routing, guards, combine rules and
cost models are resolved here, so the loop holds no dictionaries and no
Python objects. Numbers and params are read from the parameter vector `p`,
symbols in predicates from `symlit`; the only text from the `.flow` file that
reaches the source is container names, validated identifiers, in variable
names and comments.

The steps go in tiles (`tiles`). In each, the hoisted containers run first,
all of a symbol's in one loop over the tile (`prefix`), passing events in
locals where nothing else reads them and keeping component counters in locals
(step forms); the rest runs in the step loop (`step`), in chunks of steps the
record tables have room for, with risk, execution and portfolio sharing one
loop over the symbols when that reorders no record. Each of these is checked
against the reference engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flowc.compiler import components as comp
from flowc.compiler.ir import (
    Apply,
    BinOp,
    BoundGuard,
    Expr,
    Input,
    Local,
    Replay,
    Slot,
    SymbolIs,
    UnOp,
    walk,
)
from flowc.compiler.plan import SERIES_ROLES, InputPlan, NodePlan, Plan, StatePlan

BAR_ARRAYS = {f: f"bar_{f}" for f in ("open", "high", "low", "close", "volume")}
OPS = {"/": "div_nb", "<": "lt_nb", "<=": "le_nb", ">": "gt_nb", ">=": "ge_nb", "==": "eq_nb", "!=": "ne_nb",
       "and": "and_nb", "or": "or_nb"}


@dataclass(frozen=True)
class Buffer:
    """An argument of the generated program, allocated by the executor."""

    name: str
    shape: tuple[str, ...]  # symbolic: "T", "S", "P", "K:<n>", "F:<n>", "state:<slot>:<extra>", "cap:orders"...
    dtype: str  # "f8", "i8", "bool"
    fill: float | int | bool | None = 0  # None: the program writes every element before reading it
    source: str | None = None  # filled by the caller from its inputs (e.g. "replay:0:present"), not allocated
    prefix: bool = False  # written only by the hoisted prefix: reusable while the prefix's inputs are unchanged


@dataclass(frozen=True)
class Generated:
    source: str
    buffers: tuple[Buffer, ...]  # in argument order, after the fixed market and parameter arguments
    portfolios: tuple[str, ...]
    risks: tuple[str, ...]
    executions: tuple[str, ...]
    strategies: tuple[str, ...]
    prefix_slots: tuple[int, ...]  # the parameter slots the hoisted prefix reads


PREFIX_TILE = 16384  # symbol-steps per tile (`tiles`): a few hundred KiB of bars and outputs
MIN_TILE = 64  # steps per tile at least, however many symbols
PREFIX_GROUP = 8  # settings of hoisted containers per generated function at most (`_groups`)

# The record tables' rows, field by field: "i" a whole number, "f" a float (runtime/ledger.py's dtypes).
# A row is the ledger's record itself: the program writes whole numbers through an int64 view of the
# table, so the executor hands the rows on as structured records without a copy.
RECORDS = {
    "orders": ("i", "i", "f", "f", "i"),  # step, symbol, quantity, price, risk
    "fills": ("i", "i", "f", "f", "f", "i", "i"),  # step, symbol, quantity, price, commission, portfolio, execution
}

FIXED_ARGS = ("bar_open", "bar_high", "bar_low", "bar_close", "bar_volume", "present", "owner", "symlit", "p",
              "trade_from", "reuse_prefix")


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0

    def __call__(self, line: str = "") -> None:
        self.lines.append(("    " * self.depth + line) if line else "")

    def indent(self) -> _Indent:
        return _Indent(self)


class _Indent:
    def __init__(self, w: _Writer):
        self.w = w

    def __enter__(self) -> None:
        self.w.depth += 1

    def __exit__(self, *exc: object) -> None:
        self.w.depth -= 1


class _Gen:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.w = _Writer()
        self.buffers: list[Buffer] = []
        self.kernels: set[str] = set()
        self.data = [n.path for n in plan.nodes if n.role == "data"]
        self.portfolios = [n for n in plan.nodes if n.role == "portfolio"]
        self.risks = [n for n in plan.nodes if n.role == "risk"]
        self.executions = [n for n in plan.nodes if n.role == "execution"]
        self.local: set[str] = set()  # hoisted containers whose events stay in locals (`_local_outputs`)
        self.prefixes: list[tuple[str, list[str]]] = []  # the functions of the hoisted prefix and their arguments
        self.fused = False  # whether the step loop's containers share one loop over the symbols (`_fusable`)

    def ident(self, path: str) -> str:
        return self.plan.node(path).ident

    def buffer(self, name: str, shape: tuple[str, ...], dtype: str, fill: float | int | bool | None = 0,
               source: str | None = None, prefix: bool = False) -> str:
        self.buffers.append(Buffer(name, shape, dtype, fill, source, prefix))
        return name

    # ---- expressions ----

    def field(self, item: Input, ctx: str) -> str:
        """The code reading one input field at (t, s)."""
        if item.event == "BAR":
            return "bar_time[t]" if item.field == comp.TIME else f"{BAR_ARRAYS[item.field]}[t, s]"
        source = self.plan.node(item.source)  # type: ignore[arg-type]
        if item.event in ("FEATURE", "REGIME"):
            k = source.fields.index(item.field)
            if source.path in self.local:
                return f"o_{source.ident}_{k}"
            return f"out_{source.ident}[{self.row(source)}, s, {k}]"
        if item.event == "SIGNAL":
            return f"out_{source.ident}[{self.row(source)}, s, {('direction', 'strength').index(item.field)}]"
        if item.event == "ORDER":
            return self.ev(f"{'ordpx' if item.field == 'price' else 'ordq'}_{source.ident}")
        if item.event == "PORTFOLIO":
            if item.field == "position":
                return f"pos_{source.ident}[s]"
            return f"fb_{item.field}_{source.ident}"
        raise AssertionError(f"no field access for {item}")  # plan rejects FILL guards

    def expr(self, e: Expr, node: NodePlan | None, ctx: str = "") -> str:
        if isinstance(e, Slot):
            return f"p[{e.index}]"
        if isinstance(e, Input):
            return self.field(e, ctx)
        if isinstance(e, Local):
            return f"v_{e.name}"
        if isinstance(e, SymbolIs):
            test = "!=" if e.negate else "=="
            return f"(1.0 if symlit[s] {test} {e.literal} else 0.0)" if e.literal >= 0 else "0.0"
        if isinstance(e, UnOp):
            inner = self.expr(e.operand, node, ctx)
            if e.op == "not":
                self.kernels.add("not_nb")
                return f"not_nb({inner})"
            return f"(-{inner})"
        if isinstance(e, BinOp):
            left, right = self.expr(e.left, node, ctx), self.expr(e.right, node, ctx)
            if e.op in OPS:
                self.kernels.add(OPS[e.op])
                return f"{OPS[e.op]}({left}, {right})"
            return f"({left} {e.op} {right})"
        if isinstance(e, Apply):
            assert node is not None
            if _registers(node, e):
                return f"a_{node.ident}_{e.instance}"  # called before the expression (`step_calls`)
            name = _kernel_name(e.component, "nb")
            self.kernels.add(name)
            args = ", ".join(self.expr(a, node, ctx) for a in e.args)
            state = f"row_{node.ident}_{e.instance}" if node.hoisted else f"st_{node.ident}_{e.instance}[s]"
            return f"{name}({state}, {args})"
        raise AssertionError(e)

    def step_calls(self, e: Expr, node: NodePlan) -> None:
        """Call the step form of each component of `e` whose counters are registers, arguments first.

        Every call of an expression is made anyway (no short-circuit), and the calls of one
        container touch disjoint states, so calling them ahead of the expression changes nothing.
        """
        for sub in reversed(list(walk(e))):
            if isinstance(sub, Apply) and _registers(node, sub):
                name = _kernel_name(sub.component, "step")
                self.kernels.add(name)
                counters = ", ".join(_counters(node, sub))
                args = ", ".join(self.expr(a, node) for a in sub.args)
                self.w(f"a_{node.ident}_{sub.instance}, {counters} = "
                       f"{name}(row_{node.ident}_{sub.instance}, {counters}, {args})")

    def guard(self, guards: tuple[BoundGuard, ...] | None) -> str | None:
        if guards is None:
            return None
        self.kernels.add("truthy_nb")
        alternatives = []
        for g in guards:
            terms = [f"truthy_nb({self.expr(r, None)})" for r in g.required]
            terms += [f"not truthy_nb({self.expr(x, None)})" for x in g.excluded]
            alternatives.append(" and ".join(terms) if terms else "True")
        return " or ".join(f"({a})" for a in alternatives)

    def presence(self, item: InputPlan) -> str:
        """Whether an input is present at (t, s), with the routes' guards applied."""
        terms = []
        for edge in item.edges:
            if item.event == "BAR":
                base = "present[t, s]" if len(self.data) == 1 else \
                    f"(present[t, s] and owner[s] == {self.data.index(edge.source)})"
            elif item.event == "ORDER":
                base = self.ev(f"ordp_{self.ident(edge.source)}")
            elif item.event == "PORTFOLIO":
                base = f"fb_present_{self.ident(edge.source)} != 0.0"
            elif edge.source in self.local:
                base = f"pr_{self.ident(edge.source)}"
            else:
                base = f"pres_{self.ident(edge.source)}[{self.row(self.plan.node(edge.source))}, s]"
            guard = self.guard(edge.guards)
            terms.append(f"({base} and ({guard}))" if guard else base)
        return " or ".join(terms) if len(terms) > 1 else terms[0]

    def row(self, node: NodePlan) -> str:
        """The row of step t in a series container's output buffers: a hoisted container's may hold one tile."""
        return "t - ob" if node.hoisted else "t"

    def ev(self, name: str, slot: int | None = None) -> str:
        """An event a container passes to the next within one step and symbol: a local when they share
        the loop over the symbols (`_fusable`), else an element of a per-symbol buffer."""
        if self.fused:
            return name if slot is None else f"{name}_{slot}"
        return f"{name}[s]" if slot is None else f"{name}[{slot}, s]"

    # ---- series containers (feature, classifier, strategy) ----

    def series_buffers(self, node: NodePlan) -> None:
        if node.path not in self.local:  # written at every (t, s), present or not
            self.buffer(f"out_{node.ident}", ("T", "S", f"F:{len(node.fields)}"), "f8", None, prefix=node.hoisted)
            self.buffer(f"pres_{node.ident}", ("T", "S"), "bool", None, prefix=node.hoisted)
        signal = node.container.setting("signal")
        if signal is not None and isinstance(signal.expr, Replay):
            k = signal.expr.index
            self.buffer(f"rp{k}_present", ("T", "S"), "bool", False, source=f"replay:{k}:present")
            self.buffer(f"rp{k}_values", ("T", "S", "F:2"), "f8", float("nan"), source=f"replay:{k}:values")
        for state in node.states:
            size = f"state:{state.size_slot.index if state.size_slot else -1}:{state.size_extra}"
            size += f":{state.size_per}" if state.size_per != 1 else ""  # `corr`, `cov`: two rings
            self.buffer(f"st_{node.ident}_{state.instance}", ("S", size), "f8", 0.0, prefix=node.hoisted)

    def series_body(self, node: NodePlan) -> None:
        """The work of one series container for one (t, s)."""
        w = self.w
        inputs = {(i.event, i.source): f"in_{k}" for k, i in enumerate(node.inputs) if not any(
            e.feedback for e in i.edges)}
        for k, item in enumerate(node.inputs):
            if f"in_{k}" in inputs.values():
                w(f"in_{k} = {self.presence(item)}")
        settings = node.container.settings
        union = frozenset().union(*(s.reads for s in settings)) if settings else frozenset()
        trigger = " and ".join(inputs[r] for r in sorted(union, key=str)) if union else "True"

        def condition(reads: frozenset) -> str:  # a setting that reads nothing runs at every (t, s)
            return " and ".join(inputs[r] for r in sorted(reads, key=str)) if reads else "True"

        for setting in settings:
            if isinstance(setting.expr, Replay):
                continue
            w(f"v_{setting.name} = np.nan")
            w(f"if {condition(setting.reads)}:")
            with w.indent():
                self.step_calls(setting.expr, node)
                w(f"v_{setting.name} = {self.expr(setting.expr, node)}")
        if node.role == "strategy":
            signal = node.container.setting("signal")
            active = node.container.setting("active")
            assert signal is not None
            replay = signal.expr.index if isinstance(signal.expr, Replay) else None
            test = condition(signal.reads) if replay is None else f"rp{replay}_present[t, s]"
            if active is not None:
                self.kernels.add("truthy_nb")
                test = f"({test}) and truthy_nb(v_active)"
            if replay is None:
                self.kernels.add("sign_nb")
                values = ("sign_nb(v_signal)", "abs(v_signal) if v_signal == v_signal else 0.0")
            else:
                values = (f"rp{replay}_values[t, s, 0]", f"rp{replay}_values[t, s, 1]")
            self.series_output(node, test, values)
            return
        self.series_output(node, trigger, tuple(f"v_{name}" for name in node.fields))

    def series_output(self, node: NodePlan, test: str, values: tuple[str, ...]) -> None:
        """Send the event when `test` holds: into locals of the fused prefix, or into the output buffers."""
        w, x = self.w, node.ident
        if node.path in self.local:
            w(f"pr_{x} = {test}")
            for k, value in enumerate(values):
                w(f"o_{x}_{k} = {value} if pr_{x} else np.nan")
            return
        w(f"if {test}:")
        with w.indent():
            for k, value in enumerate(values):
                w(f"out_{x}[{self.row(node)}, s, {k}] = {value}")
            w(f"pres_{x}[{self.row(node)}, s] = True")
        w("else:")
        with w.indent():
            for k in range(len(values)):
                w(f"out_{x}[{self.row(node)}, s, {k}] = np.nan")
            w(f"pres_{x}[{self.row(node)}, s] = False")

    # ---- risk ----

    def risk_buffers(self, node: NodePlan) -> None:
        self.buffer(f"rk_{node.ident}", ("S", "F:3"), "f8", float("nan"))  # book, last direction, held quantity
        if not self.fused:  # else locals (`ev`)
            self.buffer(f"ordq_{node.ident}", ("S",), "f8", 0.0)
            self.buffer(f"ordpx_{node.ident}", ("S",), "f8", float("nan"))  # NaN: a market order; else an exit's
            self.buffer(f"ordp_{node.ident}", ("S",), "bool", False)
        if node.container.config.has_exits:
            self.buffer(f"rkx_{node.ident}", ("S", "F:4"), "f8", float("nan"))  # last close, entry, extreme, latched

    def risk_init(self, node: NodePlan) -> None:
        w = self.w
        w(f"rk_{node.ident}[:, 0] = 0.0")
        w(f"rk_{node.ident}[:, 2] = 0.0")
        w(f"seen_equity_{node.ident} = np.nan  # of the latest PORTFOLIO received")
        w(f"seen_drawdown_{node.ident} = 0.0")
        if node.container.config.has_exits:
            w(f"rkx_{node.ident}[:, 3] = 0.0")

    def risk_before(self, node: NodePlan) -> None:
        w = self.w
        for item in node.inputs_of("PORTFOLIO"):
            source = self.ident(item.edges[0].source)
            w(f"if {self.presence(item)}:")
            with w.indent():
                w(f"seen_equity_{node.ident} = fb_equity_{source}")
                w(f"seen_drawdown_{node.ident} = fb_drawdown_{source}")

    def risk_symbol(self, node: NodePlan) -> None:
        w, cfg, rk = self.w, node.container.config, f"rk_{node.ident}"
        w(f"{self.ev(f'ordp_{node.ident}')} = False")
        if self.fused:  # locals are defined on every path
            w(f"ordq_{node.ident} = 0.0")
            w(f"ordpx_{node.ident} = np.nan")
        w("n_sig = 0")
        w("total = 0.0")
        w("first = 0.0")
        w("agree = True")
        for item in node.inputs_of("SIGNAL"):
            w(f"if {self.presence(item)}:")
            with w.indent():
                source = self.plan.node(item.source)  # type: ignore[arg-type]
                w(f"d = out_{source.ident}[{self.row(source)}, s, 0]")
                w("if n_sig == 0:")
                with w.indent():
                    w("first = d")
                w("elif d != first:")
                with w.indent():
                    w("agree = False")
                w("n_sig += 1")
                w("total = total + d")
        if cfg.has_exits:
            self.risk_exits(node, cfg, rk)
        w("if n_sig > 0 and t >= trade_from:  # warm-up steps before trade_from send no orders")
        with w.indent():
            self.risk_act(node, cfg, rk)

    def risk_exits(self, node: NodePlan, cfg, rk: str) -> None:
        """Step 1a of docs/semantics.md, section 6a: stop loss, take profit and trailing stop on this bar."""
        w, x = self.w, f"rkx_{node.ident}"
        bar = node.input("BAR")
        assert bar is not None  # bind requires a BAR route for exits (FL209)
        w("exited = False")
        w(f"if {self.presence(bar)}:")
        with w.indent():
            w(f"{x}[s, 0] = bar_close[t, s]")
            w(f"b = {rk}[s, 0]")
            w("if b != 0.0:")
            with w.indent():
                w("o = bar_open[t, s]")
                w("h = bar_high[t, s]")
                w("lo = bar_low[t, s]")
                w("px = np.nan")
                for side, sign, worse, better in (("b > 0.0", "-", "<=", ">="), ("b < 0.0", "+", ">=", "<=")):
                    back = "+" if sign == "-" else "-"
                    w(f"if {side}:")
                    with w.indent():
                        w(f"stop = {sign}np.inf")
                        if cfg.stop_loss is not None:
                            w(f"stop = {x}[s, 1] * (1.0 {sign} p[{cfg.stop_loss.index}] / 100.0)")
                        if cfg.trailing_stop is not None:
                            w(f"trail = {x}[s, 2] * (1.0 {sign} p[{cfg.trailing_stop.index}] / 100.0)")
                            w(f"if trail {'>' if sign == '-' else '<'} stop:")
                            with w.indent():
                                w("stop = trail")
                        w(f"goal = {back}np.inf")
                        if cfg.take_profit is not None:
                            w(f"goal = {x}[s, 1] * (1.0 {back} p[{cfg.take_profit.index}] / 100.0)")
                        near, far = ("lo", "h") if sign == "-" else ("h", "lo")
                        # the first that holds: gapped through the stop or the goal at the open, then reached
                        chain = ((f"o {worse} stop", "o"), (f"o {better} goal", "o"),
                                 (f"{near} {worse} stop", "stop"), (f"{far} {better} goal", "goal"))
                        for k, (test, price) in enumerate(chain):
                            w(f"{'if' if k == 0 else 'elif'} {test}:")
                            with w.indent():
                                w(f"px = {price}")
                        w(f"elif {far} {'>' if sign == '-' else '<'} {x}[s, 2]:")
                        with w.indent():
                            w(f"{x}[s, 2] = {far}")
                w("if px == px:")
                with w.indent():
                    w("order = -b")
                    w(f"{self.ev(f'ordq_{node.ident}')} = order")
                    w(f"{self.ev(f'ordpx_{node.ident}')} = px")
                    w(f"{self.ev(f'ordp_{node.ident}')} = True")
                    w(f"{rk}[s, 0] = b + order")
                    w(f"{x}[s, 3] = 1.0")
                    w("exited = True")
                    self.record("orders", 0, ("t", "s", "order", "px", str(self.risks.index(node))))

    def risk_act(self, node: NodePlan, cfg, rk: str) -> None:
        w = self.w
        self.kernels.add("sign_nb")
        if cfg.combine == "sum":
            w("d = min(max(total, -1.0), 1.0)")
        elif cfg.combine == "mean":
            w("d = sign_nb(total / n_sig)")
        else:
            w("d = first if agree else 0.0")
        w(f"if p[{cfg.long_only.index}] != 0.0 and d < 0.0:")
        with w.indent():
            w("d = 0.0")
        if not cfg.has_exits:
            self.risk_size(node, cfg, rk)
            return
        x = f"rkx_{node.ident}"
        w(f"if {x}[s, 3] != 0.0 and d != {rk}[s, 1]:  # the direction changed: the latch of an exit lifts")
        with w.indent():
            w(f"{x}[s, 3] = 0.0")
        w(f"if not exited and {x}[s, 3] == 0.0:")
        with w.indent():
            self.risk_size(node, cfg, rk)

    def risk_size(self, node: NodePlan, cfg, rk: str) -> None:
        w = self.w
        resize = f"{rk}[s, 1] != {rk}[s, 1] or d != {rk}[s, 1] or p[{cfg.rebalance.index}] != 0.0"
        acting = "True"
        if cfg.size == "percent_equity":
            w("price = bar_close[t, s]")
            acting = "price == price"
        w(f"if {acting}:")
        with w.indent():
            w(f"if {resize}:")
            with w.indent():
                if cfg.size == "fixed":
                    w(f"{rk}[s, 2] = p[{cfg.size_slot.index}] * d")
                else:
                    size = f"p[{cfg.size_slot.index}]"
                    w(f"{rk}[s, 2] = d * np.floor((({size} / 100.0) * seen_equity_{node.ident}) / price)")
            w(f"{rk}[s, 1] = d")
            w(f"target = {rk}[s, 2]")
            if cfg.max_position is not None:
                m = f"p[{cfg.max_position.index}]"
                w(f"target = min(max(target, -{m}), {m})")
            if cfg.max_drawdown is not None:
                w(f"if seen_drawdown_{node.ident} >= p[{cfg.max_drawdown.index}] / 100.0:")
                with w.indent():
                    w(f"sb = sign_nb({rk}[s, 0])")
                    w(f"target = sb * min(abs({rk}[s, 0]), max(0.0, sb * target))")
            w(f"order = target - {rk}[s, 0]")
            w("if order != 0.0:")
            with w.indent():
                w(f"{self.ev(f'ordq_{node.ident}')} = order")
                w(f"{self.ev(f'ordp_{node.ident}')} = True")
                if cfg.has_exits:
                    x = f"rkx_{node.ident}"
                    w(f"{self.ev(f'ordpx_{node.ident}')} = np.nan")
                    w(f"old = {rk}[s, 0]")
                w(f"{rk}[s, 0] = {rk}[s, 0] + order")
                if cfg.has_exits:
                    w(f"if {rk}[s, 0] != 0.0 and sign_nb({rk}[s, 0]) != sign_nb(old):  # a new position: its entry")
                    with w.indent():
                        w(f"{x}[s, 1] = {x}[s, 0]")
                        w(f"{x}[s, 2] = {x}[s, 0]")
                self.record("orders", 0, ("t", "s", "order", "np.nan", str(self.risks.index(node))))

    def record(self, kind: str, counter: int, values: tuple[str, ...]) -> None:
        """Append one row to a record table (the step loop makes room for a step's rows at its top)."""
        w = self.w
        w(f"n = cnt[{counter}]")
        for k, (value, field) in enumerate(zip(values, RECORDS[kind], strict=True)):
            w(f"{kind}{'_i' if field == 'i' else ''}[n, {k}] = {value}")
        w(f"cnt[{counter}] = n + 1")

    def make_room(self, end: str) -> None:
        """Set `t1`: the steps from `t0` (to `end`) the record tables surely have room for, grown first if none.

        One order per risk container and symbol; one fill per execution slot, symbol and
        portfolio it reaches. The tables are replaced here, between chunks, never inside the
        loop over steps: a table reassigned in the hot loop costs reference counting at every step.
        """
        w = self.w
        fills = sum(2 * len(self.plan.node(item.source).inputs_of("ORDER"))  # type: ignore[arg-type]
                    for node in self.portfolios for item in node.inputs_of("FILL"))
        most = [(kind, counter, n) for kind, counter, n in (("orders", 0, len(self.risks)), ("fills", 1, fills)) if n]
        w(f"t1 = {end}")
        if not most:
            return
        self.kernels.add("grow_nb")
        for kind, counter, n in most:
            w(f"t1 = min(t1, t0 + (({kind}.shape[0] - cnt[{counter}]) // ({n} * max(S, 1))))")
        w("if t1 == t0:")
        with w.indent():
            for kind, counter, n in most:
                w(f"if cnt[{counter}] + {n} * S > {kind}.shape[0]:")
                with w.indent():
                    w(f"{kind} = grow_nb({kind}, cnt[{counter}] + {n} * S)")
                    w(f"{kind}_i = {kind}.view(np.int64)")
            w("continue")

    # ---- execution ----

    def execution_buffers(self, node: NodePlan) -> None:
        # fill slots: k < K the pending order of ORDER input k, K + k the order input k delivers now
        k = len(node.inputs_of("ORDER"))
        self.buffer(f"pend_{node.ident}", (f"K:{k}", "S"), "f8", 0.0)
        if not self.fused:  # else locals (`ev`)
            for name in ("fq", "fpx", "fc"):
                self.buffer(f"{name}_{node.ident}", (f"K:{2 * k}", "S"), "f8", 0.0)
            self.buffer(f"fpres_{node.ident}", (f"K:{2 * k}", "S"), "bool", False)

    def execution_symbol(self, node: NodePlan) -> None:
        w, cfg, x = self.w, node.container.config, node.ident
        orders = node.inputs_of("ORDER")
        k_all = len(orders)
        bar = node.input("BAR")
        w(f"bar = {self.presence(bar) if bar else 'False'}")
        for k in range(2 * k_all):
            w(f"{self.ev(f'fpres_{x}', k)} = False")
            if self.fused:  # locals are defined on every path
                w(f"fq_{x}_{k} = fpx_{x}_{k} = fc_{x}_{k} = 0.0")
        w("if bar:")
        with w.indent():
            base = "bar_open[t, s]" if cfg.fill == "next_open" else "bar_close[t, s]"
            for k in range(k_all):
                w(f"if pend_{x}[{k}, s] != 0.0:")
                with w.indent():
                    self.fill(node, k, f"pend_{x}[{k}, s]", base)
                    w(f"pend_{x}[{k}, s] = 0.0")
        for k, item in enumerate(orders):
            source = self.plan.node(item.source)  # type: ignore[arg-type]
            exits = source.container.config.has_exits
            w(f"if {self.presence(item)}:")
            with w.indent():
                q = self.ev(f"ordq_{source.ident}")
                now = []
                if exits:  # an exit order fills now at its price, whatever the fill mode
                    price = self.ev(f"ordpx_{source.ident}")
                    now.append((f"bar and {price} == {price}", price))
                if cfg.fill == "close":
                    now.append(("bar", "bar_close[t, s]"))
                for n, (test, price) in enumerate(now):
                    w(f"{'if' if n == 0 else 'elif'} {test}:")
                    with w.indent():
                        self.fill(node, k_all + k, q, price)
                pend = f"pend_{x}[{k}, s] = pend_{x}[{k}, s] + {q}"
                if now:
                    w("else:")
                    with w.indent():
                        w(pend)
                else:
                    w(pend)

    def fill(self, node: NodePlan, slot: int, quantity: str, price: str) -> None:
        """One fill of `quantity` at base `price` into a fill slot: slippage first, then commission."""
        w, cfg, x = self.w, node.container.config, node.ident
        w(f"q = {quantity}")
        w(f"px = {price}")
        if cfg.slippage is not None:
            self.kernels.add("sign_nb")
            w(f"px = px + sign_nb(q) * ((p[{cfg.slippage.index}] / 10000.0) * px)")
        if cfg.commission == "percent":
            w(f"fee = p[{cfg.commission_slot.index}] / 100.0 * abs(q) * px")
        elif cfg.commission == "per_share":
            w(f"fee = p[{cfg.commission_slot.index}] * abs(q)")
        elif cfg.commission == "fixed":
            w(f"fee = p[{cfg.commission_slot.index}]")
        else:
            w("fee = 0.0")
        for name, value in (("fq", "q"), ("fpx", "px"), ("fc", "fee"), ("fpres", "True")):
            w(f"{self.ev(f'{name}_{x}', slot)} = {value}")

    # ---- portfolio ----

    def portfolio_buffers(self, node: NodePlan) -> None:
        self.buffer(f"pos_{node.ident}", ("S",), "f8", 0.0)
        self.buffer(f"lastc_{node.ident}", ("S",), "f8", float("nan"))

    def portfolio_init(self, node: NodePlan) -> None:
        w, j = self.w, node.ident
        cash = f"p[{node.container.config.cash.index}]"
        w(f"cash_{j} = {cash}")
        w(f"equity_{j} = {cash}")
        w(f"peak_{j} = {cash}")
        w(f"drawdown_{j} = 0.0")
        w(f"fb_present_{j} = 1.0")
        w(f"fb_cash_{j} = {cash}")
        w(f"fb_equity_{j} = {cash}")
        w(f"fb_drawdown_{j} = 0.0")

    def portfolio_before(self, node: NodePlan) -> None:
        self.w(f"ran_{node.ident} = False")

    def portfolio_symbol(self, node: NodePlan) -> None:
        w, j = self.w, node.ident
        index = self.portfolios.index(node)
        bar = node.input("BAR")
        if bar is not None:
            w(f"if {self.presence(bar)}:")
            with w.indent():
                w(f"ran_{j} = True")
                w(f"lastc_{j}[s] = bar_close[t, s]")
        for item in node.inputs_of("FILL"):
            source = self.plan.node(item.source)  # type: ignore[arg-type]
            xi = source.ident
            for slot in range(2 * len(source.inputs_of("ORDER"))):  # pending fills, then this step's
                px, fee = self.ev(f"fpx_{xi}", slot), self.ev(f"fc_{xi}", slot)
                w(f"if {self.ev(f'fpres_{xi}', slot)}:")
                with w.indent():
                    w(f"q = {self.ev(f'fq_{xi}', slot)}")
                    w(f"pos_{j}[s] = pos_{j}[s] + q")
                    w(f"cash_{j} = cash_{j} - (q * {px} + {fee})")
                    self.record("fills", 1, ("t", "s", "q", px, fee,
                                             str(index), str(self.executions.index(source))))
    def portfolio_after(self, node: NodePlan) -> None:
        w, j = self.w, node.ident
        index = self.portfolios.index(node)
        w(f"if ran_{j}:")
        with w.indent():
            w(f"eq = cash_{j}")
            w("for s in range(S):")
            with w.indent():
                w(f"if pos_{j}[s] != 0.0:")
                with w.indent():
                    w(f"eq = eq + pos_{j}[s] * lastc_{j}[s]")
            w(f"equity_{j} = eq")
            w(f"if eq > peak_{j}:")
            with w.indent():
                w(f"peak_{j} = eq")
            w(f"drawdown_{j} = 1.0 - eq / peak_{j}")
        w(f"equity[t, {index}] = equity_{j}")
        w("for s in range(S):")
        with w.indent():
            w(f"if pos_{j}[s] != 0.0:")
            with w.indent():
                w("exposed[t] = True")
                w("break")
        w(f"fb_present_{j} = 1.0 if ran_{j} else 0.0")
        w(f"fb_cash_{j} = cash_{j}")
        w(f"fb_equity_{j} = equity_{j}")
        w(f"fb_drawdown_{j} = drawdown_{j}")

    # ---- one step ----

    def step(self, stepped: list[NodePlan]) -> None:
        """One step of the containers in the step loop: each its work before, per symbol and after.

        When one container writes each record table and none reads another symbol's events
        (`_fusable`), every container's per-symbol work shares one loop over the symbols:
        the records come out in the same order, and a symbol's events stay in cache.
        """
        w = self.w

        def part(node: NodePlan, when: str) -> None:
            if node.role in SERIES_ROLES:
                if when == "symbol":
                    self.series_body(node)
            elif hasattr(self, f"{node.role}_{when}"):
                getattr(self, f"{node.role}_{when}")(node)

        if self.fused:
            w("# " + ", ".join(f"{n.role} `{n.path}`" for n in stepped) + ": one loop over the symbols")
            for node in stepped:
                part(node, "before")
            w("for s in range(S):")
            with w.indent():
                for node in stepped:
                    w(f"# {node.role} `{node.path}`")
                    part(node, "symbol")
            for node in stepped:
                part(node, "after")
            return
        for node in stepped:
            w(f"# {node.role} `{node.path}`")
            part(node, "before")
            w("for s in range(S):")
            with w.indent():
                part(node, "symbol")
            part(node, "after")

    # ---- the hoisted prefix ----

    def tiles(self, groups: list[list[NodePlan]], stepped: list[NodePlan]) -> None:
        """The steps in tiles: each tile's hoisted prefix, one call per group of containers, then its step loop.

        The hoisted outputs the step loop reads go through memory; a tile's are still in cache
        when the step loop reads them. Their buffers hold every step when the caller keeps them
        (signal capture, a sweep reusing the prefix); else one tile's rows, reused for every tile:
        no page of fresh memory per step, and `t - ob` is the row of step t.
        """
        w = self.w
        rows = next((b.name for b in self.buffers if b.prefix and b.shape[0] == "T"), None)
        w(f"tile = max({MIN_TILE}, {PREFIX_TILE} // max(S, 1))  # `tile_steps`")
        if rows is not None:
            w(f"whole = {rows}.shape[0] == T  # the hoisted outputs hold every step; else one tile's")
            w("if not whole:")
            with w.indent():
                w(f"tile = max(1, {rows}.shape[0])")
        w("for tb in range(0, T, tile):")
        with w.indent():
            w("te = min(T, tb + tile)")
            w(f"ob = np.uint64({'0 if whole else tb' if rows is not None else '0'})  # unsigned, as `t` (`steps`)")
            w("if not reuse_prefix:  # else the hoisted outputs of an earlier call with the same inputs stand")
            with w.indent():
                for k, (name, args) in enumerate(self.prefixes):
                    w(f"# {', '.join(f'{n.role} `{n.path}`' for n in groups[k])}")
                    w(f"{name}({', '.join(args)})")
            self.steps(stepped, "tb", "te")

    def prefix(self, name: str, group: list[NodePlan]) -> tuple[list[str], list[str]]:
        """A function running a group of hoisted containers over steps tb..te, all of a symbol's in one loop.

        Their events pass in locals where nothing outside the group reads them (`_local_outputs`),
        and the counters of components with a step form stay in locals over the tile. The bars are
        `[T, S]`: a symbol's series is strided, so a tile is short enough that the cache lines
        one symbol loads are still there for the next symbols. Returns the function's lines and
        its arguments.
        """
        outer, w = self.w, _Writer()
        self.w = w
        w.depth = 1
        w("S = present.shape[1]")
        w("for s in range(S):")
        with w.indent():
            for node in group:
                for state in node.states:  # one view of the symbol's state row, not one per bar
                    w(f"row_{node.ident}_{state.instance} = st_{node.ident}_{state.instance}[s]")
                    for j, counter in enumerate(_counters(node, state)):
                        w(f"{counter} = row_{node.ident}_{state.instance}[{j}]")
            w("for step in range(tb, te):")
            with w.indent():
                w("t = np.uint64(step)  # unsigned, as in the step loop (`steps`)")
                for node in group:
                    w(f"# {node.role} `{node.path}`")
                    self.series_body(node)
            for node in group:
                for state in node.states:
                    for j, counter in enumerate(_counters(node, state)):
                        w(f"row_{node.ident}_{state.instance}[{j}] = {counter}")
        self.w = outer
        used = set(re.findall(r"\b\w+\b", "\n".join(w.lines)))
        args = ["tb", "te", "ob", *(a for a in (*FIXED_ARGS, *(b.name for b in self.buffers)) if a in used)]
        header = ["", "", '@njit(cache=True, error_model="numpy")', f"def {name}({', '.join(args)}):",
                  f'    """{", ".join(f"{n.role} `{n.path}`" for n in group)}: steps tb..te of every symbol."""']
        return header + w.lines, args

    def steps(self, stepped: list[NodePlan], begin: str, end: str) -> None:
        """The step loop over steps begin..end, in chunks of steps the record tables have room for.

        The step `t` is unsigned: numba then indexes the `[T, ...]` arrays without its wraparound
        of negative indices, a sign test and a fix-up per array at every step (1M bars: -1.7 ms).
        `t` is only ever an index, a record's step or compared with `trade_from`.
        """
        w = self.w
        w(f"t0 = {begin}")
        w(f"while t0 < {end}:")
        with w.indent():
            self.make_room(end)
            w("for step in range(t0, t1):")
            with w.indent():
                w("t = np.uint64(step)")
                self.step(stepped)
            w("t0 = t1")

    # ---- the module ----

    def generate(self) -> Generated:
        plan, w = self.plan, self.w
        series = [n for n in plan.nodes if n.role in SERIES_ROLES]
        hoisted = [n for n in series if n.hoisted]
        stepped = [n for n in plan.nodes if not n.hoisted and n.role != "data"]
        self.fused = _fusable(stepped)
        groups = _groups(plan, hoisted)
        self.local = _local_outputs(plan, groups)
        for node in series:
            self.series_buffers(node)
        for node in self.risks:
            self.risk_buffers(node)
        for node in self.executions:
            self.execution_buffers(node)
        for node in self.portfolios:
            self.portfolio_buffers(node)
        self.buffer("equity", ("T", "P"), "f8", None)  # written at every step
        self.buffer("exposed", ("T",), "bool", False)
        # the records (`RECORDS`), grown between chunks of steps and returned; rows up to `cnt` are written
        self.buffer("orders", ("cap:orders", f"F:{len(RECORDS['orders'])}"), "f8", None)
        self.buffer("fills", ("cap:fills", f"F:{len(RECORDS['fills'])}"), "f8", None)
        self.buffer("cnt", ("F:2",), "i8", 0)  # orders recorded, fills recorded
        if _reads_time(series):  # calendar operators: each step's timestamp, `MarketData.seconds`
            self.buffer("bar_time", ("T",), "f8", None, source=comp.TIME)

        functions: list[str] = []
        for k, group in enumerate(groups):
            lines, args = self.prefix(f"prefix_{k}", group)
            functions += lines
            self.prefixes.append((f"prefix_{k}", args))
        body_start = len(w.lines)
        w.depth = 1
        w("T, S = bar_close.shape")
        w("orders_i = orders.view(np.int64)  # the whole-number fields of the records (`RECORDS`)")
        w("fills_i = fills.view(np.int64)")
        for node in self.risks:
            self.risk_init(node)
        for node in self.portfolios:
            self.portfolio_init(node)
        if groups:
            self.tiles(groups, stepped)
        else:
            self.steps(stepped, "0", "T")
        w("return orders, fills")
        body = w.lines[body_start:]

        args = list(FIXED_ARGS) + [b.name for b in self.buffers]
        header = [
            f'"""Generated by flowc for the workflow `{plan.workflow}`, plan {plan.digest}. Do not edit."""',
            "",
            "import numpy as np",
            "from numba import njit",
            "",
        ]
        for module, names in sorted(_kernel_imports(self.kernels).items()):
            header.append(f"from {module} import {', '.join(sorted(names))}")
        header += functions
        header += ["", "", '@njit(cache=True, error_model="numpy")', "def program("]
        header += [f"    {a}," for a in args]
        header += ["):"]
        source = "\n".join(header + body) + "\n"
        return Generated(source, tuple(self.buffers), tuple(n.path for n in self.portfolios),
                         tuple(n.path for n in self.risks), tuple(n.path for n in self.executions),
                         tuple(n.path for n in plan.nodes if n.role == "strategy"),
                         tuple(sorted({i for n in hoisted for i in _slots_read(n)})))


def _reads_time(nodes: list[NodePlan]) -> bool:
    return any(isinstance(e, Input) and e.field == comp.TIME
               for n in nodes for s in n.container.settings for e in walk(s.expr))


def tile_steps(n_symbols: int) -> int:
    """Steps per tile of the generated program (`tiles`), given the number of symbols."""
    return max(MIN_TILE, PREFIX_TILE // max(n_symbols, 1))


def _registers(node: NodePlan, call: Apply | StatePlan) -> int:
    """How many counters of a component call the generated code keeps in locals: those of a step form, hoisted."""
    contract = comp.series_component(call.component)
    return contract.registers if node.hoisted and contract is not None and contract.step else 0


def _counters(node: NodePlan, call: Apply | StatePlan) -> list[str]:
    return [f"c_{node.ident}_{call.instance}_{j}" for j in range(_registers(node, call))]


def _fusable(stepped: list[NodePlan]) -> bool:
    """Whether the step loop's containers can share one loop over the symbols without reordering anything.

    Risk, execution and portfolio work per symbol, and the portfolio's account is updated symbol
    by symbol either way; but two risk containers (or portfolios) would interleave their orders
    (fills), and a series container in the step loop may read the portfolio's feedback.
    """
    roles = [n.role for n in stepped]
    return set(roles) <= {"risk", "execution", "portfolio"} and roles.count("risk") <= 1 \
        and roles.count("portfolio") <= 1


def _groups(plan: Plan, hoisted: list[NodePlan]) -> list[list[NodePlan]]:
    """The hoisted containers in groups of at most PREFIX_GROUP settings, one generated function each.

    numba's compile time grows faster than a function's size, so the prefix is cut into functions
    of bounded size; events between containers of one group stay in locals, so a group is a
    union of whole connected parts of the hoisted graph where these fit, in schedule order.
    A group never reads a later group's events.
    """
    part = {n.path: n.path for n in hoisted}

    def root(path: str) -> str:
        while part[path] != path:
            path = part[path]
        return path

    for node in hoisted:
        for item in node.inputs:
            for source in {item.source, *(e.source for e in item.edges)} & part.keys():
                part[root(source)] = root(node.path)  # type: ignore[arg-type]
    parts: dict[str, list[NodePlan]] = {}
    for node in hoisted:  # schedule order, within and across parts
        parts.setdefault(root(node.path), []).append(node)

    def size(nodes: list[NodePlan]) -> int:
        return sum(max(1, len(n.container.settings)) for n in nodes)

    groups: list[list[NodePlan]] = []
    for nodes in parts.values():
        if groups and size(groups[-1]) + size(nodes) <= PREFIX_GROUP:
            groups[-1] = sorted(groups[-1] + nodes, key=lambda n: n.index)
            continue
        groups.append([])
        for node in nodes:  # a part too large for one group is cut in schedule order
            if groups[-1] and size(groups[-1]) + size([node]) > PREFIX_GROUP:
                groups.append([])
            groups[-1].append(node)
    return groups


def _local_outputs(plan: Plan, groups: list[list[NodePlan]]) -> set[str]:
    """Hoisted containers whose events only their own group reads: kept in locals of the group's loop.

    A strategy's signals stay in memory for the ledger (signal capture reads them).
    """
    readers: dict[str, set[str]] = {}
    for node in plan.nodes:
        for item in node.inputs:
            for source in {item.source, *(e.source for e in item.edges)} - {None}:
                readers.setdefault(source, set()).add(node.path)  # type: ignore[arg-type]
    return {n.path for group in groups for n in group if n.role != "strategy"
            and readers.get(n.path, set()) <= {m.path for m in group}}


def _slots_read(node: NodePlan) -> set[int]:
    """Every parameter slot a container's work depends on: its settings, state sizes and input guards."""
    exprs = [s.expr for s in node.container.settings]
    for item in node.inputs:
        for edge in item.edges:
            for guard in edge.guards or ():
                exprs.extend((*guard.required, *guard.excluded))
    slots = {e.index for expr in exprs for e in walk(expr) if isinstance(e, Slot)}
    slots |= {w.index for expr in exprs for e in walk(expr) if isinstance(e, Apply) for w in e.windows}
    return slots | {s.size_slot.index for s in node.states if s.size_slot is not None}


def _kernel_imports(names: set[str]) -> dict[str, set[str]]:
    """`from MODULE import NAMES` lines: operators from `ops`, components from their contract's kernel."""
    modules: dict[str, set[str]] = {}
    for name in sorted(names):
        base, form = name.removeprefix(_RENAMED).rsplit("_", 1) if name.startswith(_RENAMED) else name.rsplit("_", 1)
        component = comp.series_component(base) if name not in _OPS_NAMES else None
        if component is None:
            modules.setdefault("flowc.runtime.kernels.ops", set()).add(name)
            continue
        module, function = (component.step if form == "step" else component.kernel).split(":")  # type: ignore
        modules.setdefault(module, set()).add(function if function == name else f"{function} as {name}")
    return modules


_OPS_NAMES = {*OPS.values(), "truthy_nb", "sign_nb", "not_nb", "grow_nb"}
_RENAMED = "k_"  # before a component's kernel whose name an operator of `ops` has (`sign`)


def _kernel_name(component: str, form: str) -> str:
    """The name a component's kernel has in the generated module: `<component>_<form>`, unless `ops` has it."""
    name = f"{component}_{form}"
    return _RENAMED + name if name in _OPS_NAMES else name


def generate(plan: Plan) -> Generated:
    """The source of the plan's program and the buffers its caller allocates."""
    return _Gen(plan).generate()
