"""Scaling curves: flowc's engine time against bars, symbols, containers and sweep points.

Each curve varies one thing and keeps the rest fixed; the exponent `b` of a least-squares fit
`time ~ x^b` on the log-log points says how cost grows (1.0 is linear). Engine time is
`run_prepared` on bars from `common.random_walk` (median of repeats); the containers curve
also reports the cold numba compilation of each topology, which is what a new topology
costs once (the script runs on a cache of its own, empty at the start).

    python benchmarks/scaling.py [--quick] [--repeats 5]
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import common
import numpy as np

# A cache of its own, empty at the start: the containers curve reports compilation, not a cache hit.
_CACHE = tempfile.mkdtemp(prefix="flowc-scaling-")
atexit.register(shutil.rmtree, _CACHE, True)
os.environ["FLOWC_CACHE_DIR"] = _CACHE
os.environ.pop("NUMBA_CACHE_DIR", None)


def _timed(fn, repeats: int, p=None) -> float:
    fn()  # the first call compiles (or loads) the program
    samples = []
    for _ in range(repeats):
        _forget(p)
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return float(np.median(samples))


def _forget(p) -> None:
    """Drop the features a run would reuse from the last one (sweeps do): measure whole runs."""
    program = getattr(p, "program", None)
    if getattr(program, "prefix", None) is not None:
        program.prefix = None


def _prepared(path: Path, market):
    from flowc.runtime.manager import prepare

    p = prepare(path)
    p.market = market
    p.owner = np.zeros(len(market.symbols), dtype=np.int64)
    p.symlit = np.full(len(market.symbols), -1, dtype=np.int64)
    return p


def _run(p, values=None):
    from flowc.runtime.manager import run_prepared

    return run_prepared(p, values)


def _slope(xs, ys) -> float:
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    quick, repeats = args.quick, args.repeats
    sections = []

    # bars, one symbol
    sizes = (10_000, 30_000, 100_000) if quick else (10_000, 100_000, 300_000, 1_000_000, 3_000_000, 10_000_000)
    times = []
    for bars in sizes:
        p = _prepared(common.EXAMPLE, common.random_walk(bars, 1))
        times.append(_timed(lambda p=p: _run(p), repeats, p))
        print(f"  bars {bars:,}: {times[-1]:.4f} s", file=sys.stderr)
    rows = [(f"{n:,}", common.seconds(t), common.rate(n / t), f"{1e9 * t / n:.1f}")
            for n, t in zip(sizes, times, strict=True)]
    sections.append(("Bars (1 symbol)", rows, _slope(sizes, times), ("bars", "seconds", "bars/s", "ns per bar")))

    # symbols, fixed bars each
    bars = 10_000 if quick else 50_000
    counts = (1, 3, 10) if quick else (1, 3, 10, 30, 100)
    times = []
    for s in counts:
        p = _prepared(common.EXAMPLE, common.random_walk(bars, s))
        times.append(_timed(lambda p=p: _run(p), repeats, p))
        print(f"  symbols {s}: {times[-1]:.4f} s", file=sys.stderr)
    rows = [(s, common.seconds(t), common.rate(bars * s / t), f"{1e9 * t / (bars * s):.1f}")
            for s, t in zip(counts, times, strict=True)]
    sections.append((f"Symbols ({bars:,} bars each)", rows, _slope(counts, times),
                     ("symbols", "seconds", "bars/s", "ns per bar")))

    # containers: k feature containers and k strategies in one topology
    ks = (1, 2, 4) if quick else (1, 2, 4, 8, 16)
    bars = 20_000 if quick else 100_000
    market = common.random_walk(bars, 1)
    times, compiles = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for k in ks:
            path = Path(tmp) / f"k{k}.flow"
            path.write_text(common.strategies(k))
            p = _prepared(path, market)
            start = time.perf_counter()
            _run(p)
            compiles.append(time.perf_counter() - start)
            times.append(_timed(lambda p=p: _run(p), repeats, p))
            print(f"  containers {2 * k + 4}: {times[-1]:.4f} s (first run {compiles[-1]:.1f} s)", file=sys.stderr)
    rows = [(k, 2 * k + 4, common.seconds(t), f"{1e9 * t / bars:.1f}", common.seconds(c))
            for k, t, c in zip(ks, times, compiles, strict=True)]
    sections.append((f"Containers ({bars:,} bars; k feature containers and k strategies voting in one risk, "
                     "x = k)", rows, _slope(ks, times),
                     ("k", "containers", "seconds", "ns per bar", "first run s (compile)")))

    # sweep points: one compiled program, many parameter vectors
    bars = 20_000 if quick else 100_000
    p = _prepared(common.EXAMPLE, common.random_walk(bars, 1))
    _run(p)
    points = (1, 4, 16) if quick else (1, 4, 16, 64)
    times = []
    for n in points:
        grid = [{"fast": 5 + i % 20, "slow": 30 + i // 20 * 5} for i in range(n)]

        def sweep(grid=grid):
            for values in grid:
                _run(p, values)

        times.append(_timed(sweep, max(1, repeats // 2), p))
        print(f"  sweep points {n}: {times[-1]:.4f} s", file=sys.stderr)
    rows = [(n, common.seconds(t), common.seconds(t / n)) for n, t in zip(points, times, strict=True)]
    sections.append((f"Sweep points ({bars:,} bars, in-process, one compilation)", rows, _slope(points, times),
                     ("points", "seconds", "seconds per point")))

    text = ""
    for title, rows, slope, headers in sections:
        text += f"### {title}: time ~ x^{slope:.2f}\n\n{common.table(headers, rows)}\n\n"
    print(text)
    return text


if __name__ == "__main__":
    main()
