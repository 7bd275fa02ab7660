"""Small `.flow` files for the sweep tests: simple_backtest with another data source and a grid.

The topology is simple_backtest's, setting for setting, so its plan has the same structure and
the compiled program is shared with every other test that runs it (one numba compilation).
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import EXAMPLES

SAMPLE = 'sample("sp500", symbol = "SPX")'


def flow_file(folder: Path, statements: str, *, source: str = SAMPLE, name: str = "grid.flow") -> Path:
    text = (EXAMPLES / "simple_backtest.flow").read_text(encoding="utf-8")
    assert text.count(SAMPLE) == 1
    head = text[:text.index("workflow simple_backtest")].replace(SAMPLE, source)
    body = "\n".join(f"    {line.strip()}" for line in statements.strip().splitlines())
    path = folder / name
    path.write_text(f"{head}workflow grid {{\n    containers    = simple_backtest\n    communication = pipeline\n"
                    f"{body}\n}}\n", encoding="utf-8")
    return path
