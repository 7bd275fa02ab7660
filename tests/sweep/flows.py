"""Small `.flow` files for the sweep tests: simple_backtest's topology with a chosen source and grid."""

from __future__ import annotations

from pathlib import Path

TEMPLATE = """\
param fast: int = 10
param slow: int = 30
param qty: int = 100

containers crossing {{
    backtest: backtest {{
        data: data {{
            source = {source}
        }}
        features: feature {{
            fast_ma = sma(close, fast)
            slow_ma = sma(close, slow)
        }}
        strategy: strategy {{
            signal = crossover(fast_ma, slow_ma)
        }}
        risk: risk {{
            size = {size}
            max_position = 100_000
            long_only = true
        }}
        execution: execution {{
            fill = next_open()
            commission = percent(0.1)
        }}
        portfolio: portfolio {{
            cash = 1_000_000
        }}
    }}
}}

communication pipeline {{
    pipeline data -> features -> strategy -> risk -> execution -> portfolio
    broadcast data -> strategy, risk, execution, portfolio : BAR
    feedback portfolio -> risk : PORTFOLIO
}}

workflow grid {{
    containers    = crossing
    communication = pipeline
{statements}
}}
"""


def flow_file(folder: Path, statements: str, *, source: str = 'sample("sp500", symbol = "SPX")',
              size: str = "fixed(qty)", name: str = "grid.flow") -> Path:
    path = folder / name
    body = "\n".join(f"    {line.strip()}" for line in statements.strip().splitlines())
    path.write_text(TEMPLATE.format(source=source, size=size, statements=body), encoding="utf-8")
    return path
