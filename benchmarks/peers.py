"""flowc against the field: the strategy of `simple_backtest.flow` in every engine, side by side.

Engines (`engines.py`): flowc (the `.flow` file, compiled), the hand-written numba loop of
`baselines.py` (the floor), vectorbt (numba engine, and its Rust engine when installed),
backtesting.py and backtrader, where installed (`pip install -e '.[bench]'`). On the same bars
(a random walk, `common.random_walk`) each reports its final equity and closed trades, which
must agree with flowc's; then a table of seconds (median of interleaved repeats), bars per
second, peak memory above the input, and each engine's time divided by flowc's (above 1:
flowc is faster). Slow engines run only where their time, extrapolated from the last size,
fits the budget (a minute); the ratios against the targets of issue 5 follow the tables.

    python benchmarks/peers.py                  # 10k, 100k, 1M, 10M bars x 1 symbol; 100k x 100
    python benchmarks/peers.py --quick          # 10k and 100k x 1, 10k x 10: a smoke run
    python benchmarks/peers.py --cases 1000000x1 --engines flowc,"numba loop"
"""

from __future__ import annotations

import argparse
import sys
import time

import common
import numpy as np

common.use_cache_dir()

import engines as eng  # noqa: E402  (after the cache directory is chosen)

CASES = ((10_000, 1), (100_000, 1), (1_000_000, 1), (10_000_000, 1), (100_000, 100))
QUICK = ((10_000, 1), (100_000, 1), (10_000, 10))
TOLERANCE = 1e-9  # relative difference of final equity allowed between engines (floating sums)


def parse_case(text: str) -> tuple[int, int]:
    bars, _, symbols = text.lower().partition("x")
    return int(float(bars)), int(symbols or 1)


def run(cases, names, repeats: int, budget: float) -> tuple[str, dict]:
    classes = [c for c in eng.ALL if (not names or c.name in names) and c.available()]
    missing = [c.name for c in eng.ALL if (not names or c.name in names) and not c.available()]
    engines = {}
    warm = {}
    for cls in classes:
        start = time.perf_counter()
        engines[cls.name] = cls()
        engines[cls.name].warm()
        warm[cls.name] = time.perf_counter() - start
        print(f"  warmed {cls.name} in {warm[cls.name]:.2f} s", file=sys.stderr)
    per_bar: dict[str, float] = {}  # seconds per bar of the last size an engine ran
    sections, results = [], {}
    for bars, symbols in cases:
        market = common.random_walk(bars, symbols, seed=bars + symbols)
        total = bars * symbols
        runs, skipped = {}, {}
        for name, engine in engines.items():
            estimate = per_bar.get(name, 0.0) * total
            if not name.startswith(("flowc", "numba loop")) and estimate > budget:
                skipped[name] = estimate
                continue
            engine.setup(market)
            runs[name] = engine.run
        print(f"  {bars:,} bars x {symbols}: running {', '.join(runs)}", file=sys.stderr)
        series = common.interleaved(runs, repeats, slow_after=budget / 6)
        for name, s in series.items():
            per_bar[name] = s.seconds / total
        outcomes = {name: engines[name].outcome(s.value) for name, s in series.items()}
        reference = outcomes.get("flowc") or next(iter(outcomes.values()))
        rows = []
        base = series["flowc"].seconds if "flowc" in series else None
        for name, s in series.items():
            o = outcomes[name]
            diff = abs(o.final_equity - reference.final_equity) / abs(reference.final_equity)
            if o.trades != reference.trades or diff > TOLERANCE:
                raise SystemExit(f"{name} disagrees with flowc on {bars} x {symbols}: {o} against {reference}")
            rows.append((name, common.seconds(s.seconds), common.rate(total / s.seconds),
                         common.mebibytes(s.peak_bytes), common.ratio(s.seconds / base) if base else "",
                         f"{o.final_equity:,.2f}", o.trades, f"{diff:.0e}" if diff else "0"))
            results[(bars, symbols, name)] = s.seconds
        for name, estimate in skipped.items():
            rows.append((name, f"~{common.seconds(estimate)} (not run)", "", "", "", "", "", ""))
            results[(bars, symbols, name, "estimate")] = estimate
        title = (f"### {bars:,} bars x {symbols} symbol{'s' if symbols > 1 else ''} "
                 f"(input OHLCV {common.mebibytes(common.input_bytes(market))} MiB)")
        text = common.table(("engine", "seconds", "bars/s", "peak MiB", "time / flowc", "final equity", "trades",
                             "rel. diff"), rows)
        sections.append(f"{title}\n\n{text}")
        print(f"\n{title}\n\n{text}\n", file=sys.stderr)
        del market
    notes = ["Warm-up (first call, compiles; not in the tables): "
             + ", ".join(f"{n} {w:.1f} s" for n, w in warm.items())]
    if missing:
        notes.append("Not installed (`pip install -e '.[bench]'`): " + ", ".join(missing))
    return "\n\n".join(sections) + "\n\n" + "\n".join(f"- {n}" for n in notes) + "\n", results


def targets(results: dict) -> str:
    """flowc against the targets of issue 5, from the measured (or extrapolated) times."""

    def time_of(bars, symbols, name):
        if (bars, symbols, name) in results:
            return results[(bars, symbols, name)], ""
        if (bars, symbols, name, "estimate") in results:
            return results[(bars, symbols, name, "estimate")], " (extrapolated: not run)"
        return None, ""

    lines = []
    for (bars, symbols), peer, goal, better in (
            ((1_000_000, 1), "numba loop", 1.5, "within"), ((100_000, 100), "numba loop", 1.5, "within"),
            ((1_000_000, 1), "numba loop (ledger)", None, "within"),
            ((100_000, 100), "numba loop (ledger)", None, "within"),
            ((1_000_000, 1), "vectorbt", 10.0, "faster"), ((1_000_000, 1), "vectorbt (rust)", None, "faster"),
            ((1_000_000, 1), "backtesting.py", None, "faster"), ((1_000_000, 1), "backtrader", 5000.0, "faster")):
        flowc, _ = time_of(bars, symbols, "flowc")
        other, note = time_of(bars, symbols, peer)
        if flowc is None or other is None:
            continue
        case = f"{bars:,} x {symbols}"
        if better == "within":
            r = flowc / other
            verdict = "" if goal is None else f" (target <= {goal:.1f}x: {'met' if r <= goal else 'NOT met'})"
            lines.append(f"- {case}: flowc takes {r:.2f}x the time of the {peer}{verdict}")
        else:
            r = other / flowc
            verdict = "" if goal is None else f" (target >= {goal:g}x: {'met' if r >= goal else 'NOT met'})"
            lines.append(f"- {case}: flowc is {r:,.1f}x faster than {peer}{note}{verdict}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", nargs="*", type=parse_case, help="BARSxSYMBOLS, e.g. 1e6x1 100000x100")
    ap.add_argument("--quick", action="store_true", help="small cases only (a smoke run)")
    ap.add_argument("--engines", help="comma-separated engine names (default: every installed one)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--budget", type=float, default=60.0, help="seconds a slow peer may take on one case")
    args = ap.parse_args(argv)
    cases = args.cases or (QUICK if args.quick else CASES)
    names = [n.strip() for n in args.engines.split(",")] if args.engines else []
    text, results = run(cases, names, args.repeats, args.budget)
    text += "\n" + targets(results)
    print(text)
    return text


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
