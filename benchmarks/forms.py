"""What the generated program could be: hand-written forms of `simple_backtest`'s program, timed.

flowc's engine time is set by the code `compiler/codegen.py` emits and the kernel protocol of
`runtime/kernels`. To show what each proposed change to them is worth before anyone makes it,
this file writes the program of `examples/simple_backtest.flow` by hand in successive forms,
each adding changes to the previous one, and times them interleaved with flowc's own
program and the hand-written numba loop (the floor). Every form must give flowc's final
equity, fills and orders exactly, on the same bars and the plan's own parameter vector.

1. `today`: the program flowc generates at the commit measured (through `run_prepared`).
2. `registers`: the hoisted containers of one symbol run in one loop, their features kept in
   local variables instead of a `[T, S, F]` buffer, and the components keep their counters in
   registers for a whole series: `sma` as an inlined step function
   `(ring, pos, run, total, x, n) -> (value, pos, run, total)` instead of
   `sma_nb(state_row, x, n)`, which reads and writes its counters in memory, as floats, at
   every call. The signal is stored `[S, T]` (a symbol's series contiguous), direction and
   strength as two arrays. The step loop is the generated one (registers in local variables,
   record tables grown at the top of a step).
3. `room`: and the record tables are never replaced inside the loop: room for a step's
   records is checked at the top of the step, and when it runs out the program saves its
   registers and returns the step; the caller doubles the tables and calls again from there.

Since then flowc generates what forms 2 and 3 proposed, in its own way: the hoisted containers of
a symbol share one loop, features no step-loop container reads stay in locals, kernels with
counters are called in their step form with the counters in locals, and the record tables are
grown between chunks of steps. `today` now lands with them; what still separates all three from
the ledger floor is the two passes (the signals go through memory, `[T, S]`, between the hoisted
prefix and the step loop) and the per-symbol state of risk, execution and portfolio in arrays.

Below them, two floors: the hand-written loop of `baselines.py` that keeps only the equity
curve (the target's floor), and the same loop recording the cash curve, exposure, drawdown,
orders and fills as flowc's ledger does (the floor for the same results).

    python benchmarks/forms.py [--bars 1000000] [--symbols 1] [--repeats 9]
"""

from __future__ import annotations

import argparse

import common
import numpy as np
from numba import njit

common.use_cache_dir()

from flowc.runtime.kernels.ops import sign_nb  # noqa: E402

# q: the plan's parameter slots in a fixed order (see `slots`)
FAST, SLOW, SIZE, LONG_ONLY, REBALANCE, MAX_POSITION, COMMISSION, CASH = range(8)


def slots(plan) -> list[int]:
    """Where the plan keeps each number the forms read, in the order of the constants above."""
    features, risk = plan.node("features"), plan.node("risk").container.config
    windows = [s.size_slot.index for s in features.states]
    execution, portfolio = plan.node("execution").container.config, plan.node("portfolio").container.config
    return [*windows, risk.size_slot.index, risk.long_only.index, risk.rebalance.index, risk.max_position.index,
            execution.commission_slot.index, portfolio.cash.index]


# ---- registers --------------------------------------------------------------------------


def _states(S, q):
    return np.zeros((S, 3 + int(q[FAST]))), np.zeros((S, 3 + int(q[SLOW]))), np.zeros((S, 1))


def _book(T, S):
    return (np.full(T, np.nan), np.full(T, np.nan), np.zeros(T, np.bool_), np.zeros((1024, 4)), np.zeros((1024, 7)),
            np.zeros(2, np.int64))


@njit(cache=True)
def grow(table, rows):
    """A table with room for `rows` rows at least (twice as many as before at least), old rows copied."""
    bigger = np.zeros((max(2 * table.shape[0], rows), table.shape[1]))
    for i in range(table.shape[0]):
        for j in range(table.shape[1]):
            bigger[i, j] = table[i, j]
    return bigger


@njit(cache=True, error_model="numpy", inline="always")
def sma_step(ring, pos, run, total, x, k):
    """One call of `sma` (docs/semantics.md, section 5), its counters passed and returned in registers."""
    old = ring[pos]
    ring[pos] = x
    pos = pos + 1 if pos + 1 < k else 0
    run = 0 if x != x else run + 1
    if run < k:
        return np.nan, pos, run, total
    if run == k:
        total = 0.0
        for i in range(k):
            total = total + ring[(pos + i) % k]
    else:
        total = total + (x - old)
    return total / k, pos, run, total


@njit(cache=True, error_model="numpy")
def register_prefix(close, present, q, st0, st1, sig, strength, pres):
    T, S = close.shape
    k0, k1 = int(q[FAST]), int(q[SLOW])
    for s in range(S):
        r0, r1 = st0[s], st1[s]
        ring0, ring1 = r0[3:], r1[3:]
        pos0, run0, tot0 = int(r0[0]), int(r0[1]), r0[2]
        pos1, run1, tot1 = int(r1[0]), int(r1[1]), r1[2]
        for t in range(T):
            if present[t, s]:
                x = close[t, s]
                a, pos0, run0, tot0 = sma_step(ring0, pos0, run0, tot0, x, k0)
                b, pos1, run1, tot1 = sma_step(ring1, pos1, run1, tot1, x, k1)
                v = 1.0 if a > b else (-1.0 if a < b else 0.0)
                sig[s, t] = sign_nb(v)
                strength[s, t] = abs(v)
                pres[s, t] = True
        r0[0], r0[1], r0[2] = pos0, run0, tot0
        r1[0], r1[1], r1[2] = pos1, run1, tot1


def run_registers(m, q):
    T, S = m.close.shape
    sig, pres = np.empty((S, T)), np.zeros((S, T), np.bool_)
    st0, st1, _ = _states(S, q)
    register_prefix(m.close, m.present, q, st0, st1, sig, np.empty((S, T)), pres)
    equity, cash, exposed, orders, fills, cnt = _book(T, S)
    rk = np.array([[0.0, np.nan, 0.0]] * S)
    register_steps(m.open, m.close, m.present, q, sig, pres, rk, np.zeros(S), np.zeros(S), np.full(S, np.nan),
                   equity, cash, exposed, orders, fills, cnt)
    return equity[-1], int(cnt[1]), int(cnt[0])


@njit(cache=True, error_model="numpy")
def register_steps(bar_open, bar_close, present, q, sig, pres, rk, pend, pos, lastc, equity, cash, exposed, orders,
                   fills, cnt):
    """The step loop as flowc generates it (registers in locals, tables grown at the top of a step)."""
    T, S = bar_close.shape
    pf_cash = pf_eq = pf_peak = q[CASH]
    pf_dd = 0.0
    for t in range(T):
        if cnt[0] + S > orders.shape[0]:
            orders = grow(orders, cnt[0] + S)
        if cnt[1] + S > fills.shape[0]:
            fills = grow(fills, cnt[1] + S)
        ran = False
        for s in range(S):
            order = 0.0
            if pres[s, t]:
                d = min(max(sig[s, t], -1.0), 1.0)
                if q[LONG_ONLY] != 0.0 and d < 0.0:
                    d = 0.0
                if rk[s, 1] != rk[s, 1] or d != rk[s, 1] or q[REBALANCE] != 0.0:
                    rk[s, 2] = q[SIZE] * d
                rk[s, 1] = d
                target = min(max(rk[s, 2], -q[MAX_POSITION]), q[MAX_POSITION])
                order = target - rk[s, 0]
                if order != 0.0:
                    rk[s, 0] = rk[s, 0] + order
                    n = cnt[0]
                    orders[n, 0] = t
                    orders[n, 1] = s
                    orders[n, 2] = order
                    cnt[0] = n + 1
            if present[t, s]:
                ran = True
                lastc[s] = bar_close[t, s]
                qty = pend[s]
                if qty != 0.0:
                    px = bar_open[t, s]
                    fee = q[COMMISSION] / 100.0 * abs(qty) * px
                    pend[s] = 0.0
                    pos[s] = pos[s] + qty
                    pf_cash = pf_cash - (qty * px + fee)
                    n = cnt[1]
                    fills[n, 0] = t
                    fills[n, 1] = s
                    fills[n, 2] = qty
                    fills[n, 3] = px
                    fills[n, 4] = fee
                    cnt[1] = n + 1
            if order != 0.0:
                pend[s] = pend[s] + order
        if ran:
            eq = pf_cash
            for s in range(S):
                if pos[s] != 0.0:
                    eq = eq + pos[s] * lastc[s]
            pf_eq = eq
            if eq > pf_peak:
                pf_peak = eq
            pf_dd = 1.0 - eq / pf_peak
        equity[t] = pf_eq
        cash[t] = pf_cash
        for s in range(S):
            if pos[s] != 0.0:
                exposed[t] = True
                break
    return orders, fills, pf_dd


# ---- room -------------------------------------------------------------------------------


@njit(cache=True, error_model="numpy")
def room_steps(bar_open, bar_close, present, q, sig, pres, rk, pend, pos, lastc, equity, cash, exposed, orders,
               fills, cnt, regs, start):
    """`register_steps` with room checked once per step; out of room, save the registers and return the step."""
    T, S = bar_close.shape
    pf_cash, pf_eq, pf_peak, pf_dd = regs[0], regs[1], regs[2], regs[3]
    n_orders, n_fills = cnt[0], cnt[1]
    for t in range(start, T):
        if n_orders + S > orders.shape[0] or n_fills + S > fills.shape[0]:
            regs[0], regs[1], regs[2], regs[3] = pf_cash, pf_eq, pf_peak, pf_dd
            cnt[0], cnt[1] = n_orders, n_fills
            return t
        ran = False
        for s in range(S):
            order = 0.0
            if pres[s, t]:
                d = min(max(sig[s, t], -1.0), 1.0)
                if q[LONG_ONLY] != 0.0 and d < 0.0:
                    d = 0.0
                if rk[s, 1] != rk[s, 1] or d != rk[s, 1] or q[REBALANCE] != 0.0:
                    rk[s, 2] = q[SIZE] * d
                rk[s, 1] = d
                target = min(max(rk[s, 2], -q[MAX_POSITION]), q[MAX_POSITION])
                order = target - rk[s, 0]
                if order != 0.0:
                    rk[s, 0] = rk[s, 0] + order
                    orders[n_orders, 0] = t
                    orders[n_orders, 1] = s
                    orders[n_orders, 2] = order
                    n_orders += 1
            if present[t, s]:
                ran = True
                lastc[s] = bar_close[t, s]
                qty = pend[s]
                if qty != 0.0:
                    px = bar_open[t, s]
                    fee = q[COMMISSION] / 100.0 * abs(qty) * px
                    pend[s] = 0.0
                    pos[s] = pos[s] + qty
                    pf_cash = pf_cash - (qty * px + fee)
                    fills[n_fills, 0] = t
                    fills[n_fills, 1] = s
                    fills[n_fills, 2] = qty
                    fills[n_fills, 3] = px
                    fills[n_fills, 4] = fee
                    n_fills += 1
            if order != 0.0:
                pend[s] = pend[s] + order
        if ran:
            eq = pf_cash
            for s in range(S):
                if pos[s] != 0.0:
                    eq = eq + pos[s] * lastc[s]
            pf_eq = eq
            if eq > pf_peak:
                pf_peak = eq
            pf_dd = 1.0 - eq / pf_peak
        equity[t] = pf_eq
        cash[t] = pf_cash
        for s in range(S):
            if pos[s] != 0.0:
                exposed[t] = True
                break
    regs[0], regs[1], regs[2], regs[3] = pf_cash, pf_eq, pf_peak, pf_dd
    cnt[0], cnt[1] = n_orders, n_fills
    return T


def run_room(m, q):
    T, S = m.close.shape
    sig, pres = np.empty((S, T)), np.zeros((S, T), np.bool_)
    st0, st1, _ = _states(S, q)
    register_prefix(m.close, m.present, q, st0, st1, sig, np.empty((S, T)), pres)
    equity, cash, exposed, orders, fills, cnt = _book(T, S)
    rk = np.array([[0.0, np.nan, 0.0]] * S)
    pend, pos, lastc = np.zeros(S), np.zeros(S), np.full(S, np.nan)
    regs = np.array([q[CASH], q[CASH], q[CASH], 0.0])
    step = 0
    while True:
        step = room_steps(m.open, m.close, m.present, q, sig, pres, rk, pend, pos, lastc, equity, cash, exposed,
                          orders, fills, cnt, regs, step)
        if step == T:
            break
        orders = np.concatenate([orders, np.zeros_like(orders)])  # double the room, keep the rows
        fills = np.concatenate([fills, np.zeros_like(fills)])
    return equity[-1], int(cnt[1]), int(cnt[0])


# ---- the benchmark -------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--symbols", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--quick", action="store_true", help="100,000 bars")
    args = ap.parse_args(argv)
    bars = 100_000 if args.quick else args.bars
    from engines import Flowc, NumbaLedger, NumbaLoop

    flowc, floor, ledger_floor = Flowc(), NumbaLoop(), NumbaLedger()
    market = common.random_walk(bars, args.symbols, seed=7)
    flowc.setup(market)
    floor.setup(market)
    ledger_floor.setup(market)
    ledger = flowc.run()
    q = flowc.prepared.params()[slots(flowc.prepared.plan)]
    truth = (float(ledger.equity[-1].sum()), len(ledger.fills), len(ledger.orders))

    def today():
        led = flowc.run()
        return float(led.equity[-1].sum()), len(led.fills), len(led.orders)

    forms = {"today": today, "registers": lambda: run_registers(market, q), "room": lambda: run_room(market, q),
             "numba loop (ledger)": ledger_floor.run, "numba loop": floor.run}
    for name, fn in forms.items():
        out = fn()
        if not name.startswith("numba loop") and (float(out[0]), int(out[1]), int(out[2])) != truth:
            raise SystemExit(f"the form `{name}` disagrees with flowc: {out} against {truth}")
    series = common.interleaved(forms, args.repeats, before={"today": flowc.before})
    base = series["numba loop"].seconds
    rows, previous = [], None
    for name, s in series.items():
        gain = "" if previous is None or name.startswith("numba loop") else common.ratio(previous / s.seconds)
        rows.append((name, common.seconds(s.seconds), common.rate(bars * args.symbols / s.seconds),
                     common.ratio(s.seconds / base), gain))
        previous = s.seconds
    text = (f"`simple_backtest`, {bars:,} bars x {args.symbols}; every form gives flowc's final equity, "
            f"fills and orders exactly.\n\n"
            + common.table(("form", "seconds", "bars/s", "time / numba loop", "gain over the form above"), rows)
            + "\n")
    print(text)
    return text


if __name__ == "__main__":
    main()
