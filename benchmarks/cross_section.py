"""A cross-sectional rotation over many symbols against the single-symbol crossover, per symbol-bar.

Issue 15's goal: a 500-symbol, 5,000-bar momentum rotation (`examples/rotation.flow`: a
252-bar return, the 5 strongest symbols by `top`, rebalanced on each month's first bar) runs
within 3x the time of the crossover of `examples/simple_backtest.flow` on one symbol with as many
bars as the rotation has symbol-bars (2.5M). Both are compiled (the first call compiles; the
medians are of the runs after it, interleaved), on daily random-walk bars; the ratio is printed,
never asserted. Peak memory is reported next to the input's size: it should follow the input.

    python benchmarks/cross_section.py [--symbols 500] [--bars 5000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import common
import numpy as np

ROTATION = """
containers rotation { backtest: backtest {
    data: data { source = synthetic(bars = 300, symbols = 2) }
    features: feature { momentum = pct_change(close, 252); chosen = top(momentum, 5) }
    strategy: strategy { signal = chosen; active = new_month() and bar_index() >= 252 }
    risk: risk { size = weight(0.2); rebalance = true }
    execution: execution { fill = next_open(); commission = percent(0.1) }
    portfolio: portfolio { cash = 1_000_000 }
} }
communication ranked {
    pipeline data -> features -> strategy -> risk -> execution -> portfolio
    broadcast data -> strategy, risk, execution, portfolio : BAR
    feedback portfolio -> risk : PORTFOLIO
}
workflow rotation { containers = rotation; communication = ranked }
"""

CROSSOVER = """
containers crossover { backtest: backtest {
    data: data { source = synthetic(bars = 300) }
    features: feature { fast_ma = sma(close, 10); slow_ma = sma(close, 30) }
    strategy: strategy { signal = crossover(fast_ma, slow_ma) }
    risk: risk { size = fixed(100) }
    execution: execution { fill = next_open(); commission = percent(0.1) }
    portfolio: portfolio { cash = 1_000_000 }
} }
communication linear {
    pipeline data -> features -> strategy -> risk -> execution -> portfolio
    broadcast data -> strategy, risk, execution, portfolio : BAR
    feedback portfolio -> risk : PORTFOLIO
}
workflow crossover { containers = crossover; communication = linear }
"""


def daily(bars: int, symbols: int, seed: int):
    """`common.random_walk` on business days, so months turn (the rotation rebalances on them)."""
    from flowc.runtime.data import MarketData

    m = common.random_walk(bars, symbols, seed)
    days = np.busday_offset(np.datetime64("2000-01-03"), np.arange(bars), roll="forward")
    return MarketData(m.symbols, days.astype("datetime64[us]"), m.open, m.high, m.low, m.close, m.volume, m.present)


def prepared(text: str, market, folder: Path):
    from flowc.runtime.manager import prepare

    path = folder / f"{text.split('workflow ')[1].split()[0]}.flow"
    path.write_text(text)
    p = prepare(path)
    p.market = market
    p.owner = np.zeros(len(market.symbols), dtype=np.int64)
    p.symlit = np.full(len(market.symbols), -1, dtype=np.int64)
    return p


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--symbols", type=int, default=500)
    ap.add_argument("--bars", type=int, default=5000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    common.use_cache_dir()
    from flowc.runtime.manager import run_prepared

    wide = daily(args.bars, args.symbols, seed=1)
    long = daily(args.bars * args.symbols, 1, seed=2)
    with tempfile.TemporaryDirectory() as tmp:
        rotation = prepared(ROTATION, wide, Path(tmp))
        crossover = prepared(CROSSOVER, long, Path(tmp))
        runs = {"rotation": lambda: run_prepared(rotation, engine="compiled"),
                "crossover": lambda: run_prepared(crossover, engine="compiled")}
        for fn in runs.values():
            fn()  # compiles
        series = common.interleaved(runs, args.repeats)
    fills = {name: len(s.value.fills) for name, s in series.items()}
    base = series["crossover"].seconds
    rows = [[f"rotation, {args.symbols} symbols x {args.bars:,} bars", common.seconds(series["rotation"].seconds),
             common.mebibytes(series["rotation"].peak_bytes), common.mebibytes(common.input_bytes(wide)),
             f"{fills['rotation']:,}", common.ratio(series["rotation"].seconds / base)],
            [f"crossover, 1 symbol x {args.bars * args.symbols:,} bars", common.seconds(base),
             common.mebibytes(series["crossover"].peak_bytes), common.mebibytes(common.input_bytes(long)),
             f"{fills['crossover']:,}", common.ratio(1.0)]]
    out = common.table(["case", "seconds", "peak MiB", "input MiB", "fills", "time / crossover"], rows)
    print(out)
    return out


if __name__ == "__main__":
    main()
