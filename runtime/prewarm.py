"""The summary's kernels compiled in a second process while this one compiles the program.

A machine's first run compiles two things with numba: the workflow's program, and the trade and
metric kernels every summary uses (`trades.py`, `metrics.py`), each about 2.5 s here. numba
compiles one function at a time in a process, so the kernels compile in a child process
meanwhile, on another core, into numba's on-disk cache, from which this process then loads them
(first run 6.0 -> 4.1 s on 2 cores). Once they are cached, `start` is one `stat` and no child.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np


def start() -> subprocess.Popen | None:
    """A child compiling the summary's kernels, if numba's cache does not hold them yet."""
    from flowc.runtime.metrics import ledger_metrics_nb

    try:
        index = ledger_metrics_nb._cache._cache_file._index_path  # numba's cache file of the kernel
    except AttributeError:  # a numba that keeps it elsewhere: no head start, the summary compiles as usual
        return None
    if os.path.exists(index):
        return None
    return subprocess.Popen([sys.executable, "-m", "flowc.runtime.prewarm"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def finish(child: subprocess.Popen | None) -> None:
    """Wait for the child, so the summary loads what it compiled (or, if it failed, compiles it)."""
    if child is not None:
        child.wait()


def summarise_a_small_run() -> None:
    """`summarise` on three steps with one round trip: every kernel compiles for the types a run passes."""
    from flowc.runtime.data import MarketData
    from flowc.runtime.ledger import FILL_DTYPE, ORDER_DTYPE, UNFILLED_DTYPE, Ledger
    from flowc.runtime.results import summarise

    steps = 3
    fills = np.zeros(2, FILL_DTYPE)
    fills["step"], fills["quantity"], fills["price"] = (1, 2), (1.0, -1.0), (100.0, 101.0)
    flat = np.full((steps, 1), 1e6)
    ledger = Ledger(("portfolio",), ("risk",), ("execution",), np.array([1e6]), flat,
                    np.array([False, True, False]), np.zeros((1, 1)), np.zeros(0, ORDER_DTYPE), fills,
                    np.zeros(0, UNFILLED_DTYPE))
    bars = np.full((steps, 1), 100.0)
    market = MarketData(("X",), np.arange(steps).astype("datetime64[D]").astype("datetime64[us]"), bars, bars,
                        bars, bars, bars, np.ones((steps, 1), dtype=bool))
    summarise("prewarm", ledger, market, None, compiled=True)


if __name__ == "__main__":
    from flowc.runtime.numba_cache import install

    install()
    summarise_a_small_run()
