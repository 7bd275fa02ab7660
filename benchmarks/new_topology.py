"""Time to first result for a topology never run before: the edit, run, look loop of a researcher.

Each measurement is the wall time of `flowc run FILE` in a fresh interpreter, in a warm
environment (a cache where another topology already ran, so the summary's kernels are compiled),
on a topology this cache has never seen: a random combination of structural edits of
`examples/simple_backtest.flow` (each changes the program, so nothing of it is cached), and a
36-container topology (16 feature containers and 16 strategies voting in one risk container)
on 5,031 bars. `--engine auto` (the default) answers with the reference engine while the program
compiles in the background; `--engine compiled` waits for numba, as every run did before. Between
measurements the benchmark waits for background compiles to finish, so none steals the next one's
core.

    python benchmarks/new_topology.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common

FLOWC = [sys.executable, "-m", "flowc.tools"]
TARGETS = {"new topology": 1.5, "36 containers": 5.0}
EDITS = (  # (text in simple_backtest.flow, its replacement): each changes the program's structure
    ("fast_ma = sma(close, fast)", "fast_ma = ema(close, fast)"),
    ("slow_ma = sma(close, slow)", "slow_ma = ema(close, slow)"),
    ("signal = crossover(fast_ma, slow_ma)", "signal = crossover(fast_ma, slow_ma)\n            active = close > 0"),
    ("            max_position = 1000\n", ""),
    ("fill = next_open()", "fill = close()"),
    ("size = fixed(100)", "size = percent_equity(10)"),
    ("commission = percent(0.1)", "commission = per_share(0.01)"),
)


def edited(combination: tuple[int, ...]) -> str:
    text = (common.ROOT / "examples" / "simple_backtest.flow").read_text()
    for i in combination:
        old, new = EDITS[i]
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def _wait_for_background(cache: Path, limit: float = 300.0) -> None:
    deadline = time.monotonic() + limit
    while any((cache / "programs").glob("*.compiling")) and time.monotonic() < deadline:
        time.sleep(0.1)


def _wall(path: Path, cache: Path, *options: str) -> float:
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "FLOWC_BACKGROUND_COMPILE")}
    env["FLOWC_CACHE_DIR"] = str(cache)
    start = time.perf_counter()
    subprocess.run([*FLOWC, "run", str(path), *options], env=env, cwd=common.ROOT, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    seconds = time.perf_counter() - start
    _wait_for_background(cache)
    return seconds


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="two repeats")
    ap.add_argument("--seed", type=int, default=None, help="the edits' draw (default: from the clock)")
    args = ap.parse_args(argv)
    repeats = 2 if args.quick else args.repeats
    combinations = [c for k in range(1, len(EDITS) + 1) for c in itertools.combinations(range(len(EDITS)), k)]
    drawn = random.Random(args.seed).sample(combinations, 2 * repeats)
    root = Path(tempfile.mkdtemp(prefix="flowc-new-topology-"))
    try:
        cache = root / "cache"
        _wall(common.ROOT / "examples" / "full_backtest.flow", cache, "--engine", "compiled")  # a warm environment
        times: dict[str, list[float]] = {"auto": [], "compiled": []}
        for k, combination in enumerate(drawn):
            path = root / f"edit{k}.flow"
            path.write_text(edited(combination))
            engine = "auto" if k % 2 == 0 else "compiled"
            times[engine].append(_wall(path, cache, "--engine", engine))
        wide = root / "wide.flow"
        wide.write_text(common.strategies(16).replace("synthetic(bars = 500)", "synthetic(bars = 5031)"))
        wide_auto = _wall(wide, cache)
        shutil.rmtree(cache / "programs", ignore_errors=True)  # the same topology new again, for the compiled run
        shutil.rmtree(cache / "numba", ignore_errors=True)
        _wall(common.ROOT / "examples" / "full_backtest.flow", cache, "--engine", "compiled")
        wide_compiled = _wall(wide, cache, "--engine", "compiled")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    auto, compiled = (common.seconds(statistics.median(times[engine])) for engine in ("auto", "compiled"))
    rows = [
        ("a structural edit of simple_backtest, never run before (median)", auto, compiled,
         f"< {TARGETS['new topology']:g} s"),
        ("36 containers, never run before", common.seconds(wide_auto), common.seconds(wide_compiled),
         f"< {TARGETS['36 containers']:g} s"),
    ]
    text = (f"Wall time of `flowc run FILE` in a warm environment, {repeats} random structural edits per engine "
            "(each a topology the cache has never seen):\n\n"
            + common.table(("topology", "--engine auto s", "--engine compiled s", "target"), rows) + "\n")
    print(text)
    return text


if __name__ == "__main__":
    main()
