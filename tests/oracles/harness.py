"""Running `flowc run` as a user does and reading its output folder, for the multi-symbol oracles.

`flowc run FLOW --data SYM=CSV ... --out DIR` writes fills.csv, orders.csv, equity.csv and
metrics.json to DIR. Their rows are compared to an oracle's as text, every float as its repr,
so equal text is equal bits (and NaN equals NaN).

Row order: flowc records orders by step, risk container, symbol, and fills by step, portfolio,
symbol, FILL input. An oracle lists them as they happen (rotation_cash fills the sells of a
step before its buys), and pairs may send its two orders from two risk containers, so both
sides are sorted by (step, symbol order), stably, before they are compared. No run here has
two fills or two orders of one symbol at one step, so the sort loses nothing. The cash
arithmetic still has to follow the oracle's order: the equity of every step is compared.
"""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]


def run_flowc(flow: Path, out: Path, data: Mapping[str, Path] | None = None, engine: str = "auto") -> Path:
    """`flowc run FLOW [--data SYM=CSV ...] --out OUT --engine ENGINE`; the output folder."""
    command = [sys.executable, "-m", "flowc.tools", "run", str(flow), "--out", str(out), "--quiet",
               "--engine", engine]
    for symbol, path in (data or {}).items():
        command += ["--data", f"{symbol}={path}"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def _float(text: str) -> float:
    return float(text) if text != "" else math.nan


def read_csv_rows(path: Path, columns: Sequence[str], symbol: bool = True, status: str | None = None) -> list[tuple]:
    """Rows as (int step, [symbol,] floats...), parsed with Python's exact `float`; of orders.csv, those
    of one `status` when given (`sent`, `cut`, ...)."""
    with open(path, newline="", encoding="utf-8") as f:
        return [(int(row["step"]), *((row["symbol"],) if symbol else ()), *(_float(row[c]) for c in columns))
                for row in csv.DictReader(f) if status is None or row["status"] == status]


def text(rows: Sequence[tuple]) -> list[str]:
    """Rows as text, floats as reprs."""
    return [", ".join(repr(v) for v in row) for row in rows]


def by_step_and_symbol(rows: Sequence[tuple], symbols: Sequence[str]) -> list[tuple]:
    order = {s: i for i, s in enumerate(symbols)}
    return sorted(rows, key=lambda r: (r[0], order[r[1]]))


def assert_same_portfolio_run(out: Path, expected, index: pd.DatetimeIndex, check_unfilled: bool) -> None:
    """fills, orders, the equity of every step and the final equity of `out` against an oracle's
    `Run` (tests/oracles/portfolios.py)."""
    symbols = expected.symbols
    fills = read_csv_rows(out / "fills.csv", ("quantity", "price", "commission"))
    orders = read_csv_rows(out / "orders.csv", ("quantity", "price"), status="sent")
    cut = [(t, s, q) for t, s, q, _ in read_csv_rows(out / "orders.csv", ("quantity", "price"), status="cut")]
    with open(out / "fills.csv", newline="", encoding="utf-8") as f:
        stamps = sorted((int(r["step"]), r["timestamp"]) for r in csv.DictReader(f))
    assert stamps == sorted((t, f"{index[t]:%Y-%m-%d}") for t, *_ in expected.fills)
    assert text(by_step_and_symbol(fills, symbols)) == text(by_step_and_symbol(expected.fills, symbols))
    assert text(by_step_and_symbol(orders, symbols)) == text(by_step_and_symbol(expected.orders, symbols))
    assert text(by_step_and_symbol(cut, symbols)) == text(by_step_and_symbol(expected.dropped, symbols))
    equity = pd.read_csv(out / "equity.csv", index_col=0, dtype={"equity": str})
    assert list(equity["equity"]) == [repr(e) for e in expected.equity]
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert repr(metrics["final_equity"]) == repr(expected.final_equity)
    if check_unfilled:
        last = len(index) - 1
        assert metrics["unfilled"] == sum(1 for t, *_ in expected.orders if t == last)
