"""How fast the front end reads and writes `.flow` text: parse and format a 10,000-line file.

`flowc lint` and `flowc fmt` run on every save and in CI, so the parser and the formatter
must stay interactive on large files. The file is generated: many container patterns shaped
like `examples/full_backtest.flow` (nested containers, calls, operators, comments), with
communication patterns using every adapter, and workflows with sweeps. Prints lines per
second for parsing, and the formatting time on top of the parse. Run:

    python benchmarks/parse_speed.py [LINES]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from flowc.dsl.formatter import format_module, format_source
from flowc.dsl.parser import parse

RUNS = 5


def pattern(n: int) -> str:
    """One container pattern, its communication pattern and a workflow: about 70 lines."""
    return f"""\
# Pattern {n}: a classifier chooses between two strategies.
param fast_{n}: int = {5 + n % 20}
param slow_{n}: int = {30 + n % 50}

containers pattern_{n} {{
    backtest: backtest {{
        data: data {{
            source = [sample("sp500", symbol = "SPX"), sample("nasdaq", symbol = "NDX")]
        }}
        features: feature {{
            fast_ma = sma(close, fast_{n})
            slow_ma = sma(close, slow_{n})
            rsi14   = rsi(close, 14)
            vol20   = stdev(returns(close), 20)
            spread  = (fast_ma - slow_ma) / slow_ma * 100
        }}
        classifier: classifier {{
            regime = threshold_regime(vol20, 0.015)   # 0 calm, 1 volatile
            trend: strategy {{
                signal = crossover(fast_ma, slow_ma)
                active = regime == 0 and not spread < -{n % 7 + 1}.5
            }}
            revert: strategy {{
                signal = mean_reversion(rsi14, 30, 70)
                active = regime == 1 or vol20 > 0.05
            }}
        }}
        risk_spx: risk {{
            size = percent_equity({10 + n % 30})
            max_drawdown = 25
            long_only = true
        }}
        risk_ndx: risk {{
            size = percent_equity(10)
            max_position = 1_000
        }}
        execution: execution {{
            fill = next_open()
            commission = percent(0.05)
            slippage = bps(2)
        }}
        portfolio: portfolio {{
            cash = 1_000_000
        }}
    }}
}}

communication routing_{n} {{
    pipeline data -> features -> classifier
    hierarchical classifier : BAR, FEATURE, REGIME
    selective classifier -> {{
        symbol == "SPX" => risk_spx,
        else => risk_ndx,
    }} : SIGNAL
    route risk_spx, risk_ndx -> execution : ORDER when quantity != 0
    pipeline execution -> portfolio
    broadcast data -> classifier, risk_spx, risk_ndx, execution, portfolio : BAR
    feedback portfolio -> risk_spx, risk_ndx : PORTFOLIO
}}

workflow grid_{n} "Grid search number {n}" {{
    containers    = pattern_{n}
    communication = routing_{n}
    sweep fast_{n} in [5, 10, 20]
    sweep slow_{n} in range(20, 100, 10)
    objective = sharpe
}}
"""


def generate(lines: int) -> str:
    chunks: list[str] = []
    total = n = 0
    while total < lines:
        chunk = pattern(n)
        chunks.append(chunk)
        total += chunk.count("\n") + 1
        n += 1
    return "\n".join(chunks)


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str]) -> None:
    text = generate(int(argv[0]) if argv else 10_000)
    lines = text.count("\n")
    parse(text, "warm-up.flow")  # builds or loads the grammar's cache outside the timing
    module = parse(text, "bench.flow")
    formatted = format_source(text, "bench.flow")
    assert formatted == text, "the generated file should already be in canonical form"

    parse_time = best_of(RUNS, lambda: parse(text, "bench.flow"))
    format_time = best_of(RUNS, lambda: format_module(module, text))
    print(f"{lines} lines, {len(text):,} characters, {len(module.declarations)} declarations, "
          f"{len(module.comments)} comments; best of {RUNS}")
    print(f"parse:  {parse_time * 1000:8.1f} ms  {lines / parse_time:10,.0f} lines/s")
    print(f"format: {format_time * 1000:8.1f} ms  {lines / format_time:10,.0f} lines/s (the parsed tree to text)")
    print(f"format is {format_time / parse_time:.2f} x the parse; `flowc fmt` costs both")


if __name__ == "__main__":
    main(sys.argv[1:])
