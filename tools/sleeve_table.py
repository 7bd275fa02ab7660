"""The per-sleeve table of a run, one definition for the terminal (`flowc run`) and the report.

Why: the metrics.json `sleeves` and `portfolios` entries are long; both readers show the same
few columns, each portfolio's sleeves followed by the portfolio itself, so they cannot disagree.
"""

from __future__ import annotations

COLUMNS = ("pnl", "return_contribution", "trades", "win_rate", "profit_factor", "exposure", "turnover")
LABELS = {"return_contribution": "return", "win_rate": "win rate", "profit_factor": "p. factor"}  # headers
TOTAL = "(portfolio)"  # the sleeve column of a portfolio's own row
PERCENT = frozenset({"return_contribution", "win_rate", "exposure"})


def sleeve_rows(metrics: dict) -> list[tuple[str, str, dict]]:
    """`(portfolio, sleeve, values)` for each sleeve of each portfolio, then the portfolio's own row (its
    `return_contribution` is its total return), portfolios in the order metrics.json lists them."""
    portfolios: dict = metrics.get("portfolios") or {}
    sleeves: list = metrics.get("sleeves") or []
    rows = []
    for name, own in portfolios.items():
        rows += [(name, s["sleeve"], s) for s in sleeves if s["portfolio"] == name]
        rows.append((name, TOTAL, {**own, "return_contribution": own.get("total_return")}))
    return rows


def text(value: object, key: str) -> str:
    """A cell of the table: fractions as percentages, money in whole units, counts with separators, n/a for none."""
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return f"{value:,}"
    if key in PERCENT:
        return f"{100.0 * float(value):.2f}%"  # type: ignore[arg-type]
    return f"{value:,.0f}" if key == "pnl" else f"{value:.4g}"
