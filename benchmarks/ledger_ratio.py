"""flowc's compiled engine against the hand-written ledger loop: the ratio issue 17 sets at 1.25x.

Why a script of its own: `run_all.py` times every engine on wall clock, one after another; this
one alternates only flowc and `numba loop (ledger)` (`engines.NumbaLedger`) in one process and
takes CPU time, best of many runs, so that a machine busy with other jobs slows both alike.
Both are warmed (compiled) first; the ratio is reported, never asserted.

    python benchmarks/ledger_ratio.py [--repeats 20] [BARSxSYMBOLS ...]   (default 1000000x1 100000x100)
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from common import random_walk, use_cache_dir
from engines import Flowc, NumbaLedger


def measure(bars: int, symbols: int, repeats: int) -> tuple[list[float], list[float]]:
    """CPU seconds of each run of flowc and of the ledger loop, alternating."""
    engines = (Flowc(), NumbaLedger())
    market = random_walk(bars, symbols, seed=1)
    for engine in engines:
        engine.warm()
        engine.setup(market)
        engine.run()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for engine, spent in zip(engines, times, strict=True):
            start = time.process_time()
            engine.run()
            spent.append(time.process_time() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", default=["1000000x1", "100000x100"])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    use_cache_dir()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; CPU seconds, runs alternated")
    print("| bars x symbols | flowc best | ledger loop best | flowc / ledger (best) | (median) |")
    print("|---|---:|---:|---:|---:|")
    for size in args.sizes:
        bars, symbols = (int(x) for x in size.split("x"))
        flowc, ledger = measure(bars, symbols, args.repeats)
        print(f"| {bars:,} x {symbols} | {min(flowc):.4f} | {min(ledger):.4f} | {min(flowc) / min(ledger):.2f}x "
              f"| {np.median(flowc) / np.median(ledger):.2f}x |")


if __name__ == "__main__":
    main()
