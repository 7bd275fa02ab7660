"""Shared helpers of the speed benchmarks: data, timing, peak memory, tables, the machine.

Why a module of its own: every benchmark must generate the same data, time the same way
(medians of repeats, engines interleaved in one process so a busy machine slows them all
alike) and print ratios against baselines measured in the same run, never timed assertions.

`benchmarks/` is a folder of scripts, not a package: a script run as
`python benchmarks/NAME.py` has this folder first on `sys.path`, so `import common` works.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "simple_backtest.flow"

# The strategy of examples/simple_backtest.flow, for the engines that are not flowc.
FAST, SLOW, QUANTITY, COMMISSION_PCT, CASH = 10, 30, 100.0, 0.1, 1_000_000.0


def use_cache_dir() -> None:
    """Keep benchmark programs out of the user's cache unless FLOWC_CACHE_DIR says otherwise."""
    os.environ.setdefault("FLOWC_CACHE_DIR", str(Path(os.environ.get("TMPDIR", "/tmp")) / "flowc-bench"))


# ---- data --------------------------------------------------------------------------------


def random_walk(bars: int, symbols: int = 1, seed: int = 0):
    """One-minute bars of a geometric random walk, prices near 10, every bar present.

    Volatility 0.05% a bar keeps 10M bars finite and positive (the bundled synthetic source
    drifts out of range past a few hundred thousand bars); a price near 10 keeps 100 symbols
    x 100 units, and the commissions of their trades, well inside the starting cash, so no
    engine ever runs short of cash (vectorbt and backtesting.py would shrink or cancel an
    order that flowc fills).
    """
    from flowc.runtime.data import MarketData

    rng = np.random.default_rng(seed)
    shape = (bars, symbols)
    close = 10.0 * np.exp(np.cumsum(rng.normal(0.0, 0.0005, shape), axis=0))
    before = np.concatenate([np.full((1, symbols), 10.0), close[:-1]])
    open_ = before * np.exp(rng.normal(0.0, 0.0002, shape))
    high = np.maximum(open_, close) * 1.0005
    low = np.minimum(open_, close) * 0.9995
    volume = np.full(shape, 1e6)
    stamps = np.datetime64("2000-01-03T00:00", "us") + np.arange(bars) * np.timedelta64(60_000_000, "us")
    return MarketData(tuple(f"S{k}" for k in range(symbols)), stamps, open_, high, low, close, volume,
                      np.ones(shape, dtype=bool))


def input_bytes(market) -> int:
    """The bytes of the input OHLCV arrays (the memory target's unit)."""
    return sum(getattr(market, f).nbytes for f in ("open", "high", "low", "close", "volume"))


# ---- timing and memory -------------------------------------------------------------------


def _fixed_mmap_threshold() -> None:
    """glibc: serve every allocation over 128 KiB with its own mapping, returned on free.

    By default glibc raises that threshold after the first large free, and later arrays come
    from a heap that keeps freed memory: a second run would reuse the first one's pages and
    show no growth in resident memory. Fixing the threshold makes the peak of each run its own.
    """
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-3, 1 << 17)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass


_fixed_mmap_threshold()


def _status_kib(key: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # Linux: reset the peak resident set size to the current one
        return True
    except OSError:
        return False


@dataclass
class Sample:
    seconds: float
    peak_bytes: int | None  # resident memory above what the process held before the call
    value: object


def measure(fn: Callable[[], object]) -> Sample:
    """Run `fn` once: wall seconds, peak resident memory it added (Linux), and its result."""
    before = _status_kib("VmRSS:") if _reset_peak() else None
    start = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - start
    peak = _status_kib("VmHWM:") if before is not None else None
    extra = None if peak is None or before is None else max(0, peak - before) * 1024
    return Sample(seconds, extra, value)


@dataclass
class Series:
    """Repeated samples of one engine on one case."""

    samples: list[Sample] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return float(np.median([s.seconds for s in self.samples]))

    @property
    def peak_bytes(self) -> int | None:
        peaks = [s.peak_bytes for s in self.samples if s.peak_bytes is not None]
        return max(peaks) if peaks else None

    @property
    def value(self) -> object:
        return self.samples[-1].value


def interleaved(runs: dict[str, Callable[[], object]], repeats: int, *,
                slow_after: float = 10.0) -> dict[str, Series]:
    """Medians of `repeats` rounds; each round runs every engine once, in turn.

    An engine whose run took more than `slow_after` seconds is not repeated (its median is of
    one run): the slow peers would otherwise take most of the time.
    """
    out = {name: Series() for name in runs}
    for round_ in range(repeats):
        for name, fn in runs.items():
            if round_ > 0 and out[name].samples and out[name].samples[0].seconds > slow_after:
                continue
            out[name].samples.append(measure(fn))
    return out


# ---- printing ----------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (also readable as plain text), numbers right-aligned."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[k]) for r in cells) for k in range(len(headers))]
    numeric = [all(_numeric(r[k]) for r in cells[1:]) for k in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        cells = (c.rjust(w) if num else c.ljust(w) for c, w, num in zip(row, widths, numeric, strict=True))
        return "| " + " | ".join(cells) + " |"

    rules = (("-" * (w + 1) + ":") if num else ("-" * (w + 2)) for w, num in zip(widths, numeric, strict=True))
    rule = "|" + "|".join(rules) + "|"
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def _numeric(text: str) -> bool:
    stripped = text.replace(",", "").replace("x", "").replace("e", "").replace("+", "").replace("-", "")
    return stripped.replace(".", "", 1).strip().isdigit() or text in ("", "n/a")


def seconds(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.2f}"
    if value >= 0.001:
        return f"{value:.4f}"
    return f"{value:.2e}"


def rate(value: float) -> str:
    return f"{value:.2e}"


def mebibytes(value: int | None) -> str:
    return "n/a" if value is None else f"{value / 2**20:,.1f}"


def ratio(value: float) -> str:
    return f"{value:,.2f}x" if value < 100 else f"{value:,.0f}x"


def machine() -> str:
    """One line naming the machine and the versions that shaped the numbers."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    memory = ""
    total = _meminfo_kib()
    if total:
        memory = f", {total / 2**20:.0f} GiB RAM"
    import numba

    return (f"{cpu}, {os.cpu_count()} logical CPUs{memory}, {platform.system()} {platform.release()}; "
            f"Python {sys.version.split()[0]}, numpy {np.__version__}, numba {numba.__version__}")


def _meminfo_kib() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            return int(next(line for line in f if line.startswith("MemTotal")).split()[1])
    except (OSError, StopIteration):
        return None


def load_average() -> str:
    try:
        return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return ""


# ---- topologies ---------------------------------------------------------------------------


def strategies(k: int) -> str:
    """A topology of `k` feature containers and `k` strategies voting in one risk container."""
    lines = ["containers grid {", "    backtest: backtest {",
             '        data: data { source = synthetic(bars = 500) }']
    for i in range(k):
        lines.append(f"        f{i}: feature {{ a = sma(close, {10 + i}); b = sma(close, {30 + i}) }}")
        lines.append(f"        s{i}: strategy {{ signal = crossover(a, b) }}")
    lines += ["        risk: risk { size = fixed(100); long_only = true; combine = mean }",
              "        execution: execution { fill = next_open(); commission = percent(0.1) }",
              "        portfolio: portfolio { cash = 1_000_000 }", "    }", "}", "", "communication votes {"]
    for i in range(k):
        lines.append(f"    pipeline data -> f{i} -> s{i} -> risk")
    lines += ["    pipeline risk -> execution -> portfolio", "    broadcast data -> execution, portfolio : BAR",
              "    feedback portfolio -> risk : PORTFOLIO", "}", "",
              "workflow grid { containers = grid; communication = votes }", ""]
    return "\n".join(lines)
