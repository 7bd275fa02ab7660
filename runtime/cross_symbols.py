"""The symbols read as `name@SYMBOL`, checked against the data before a run (FL616).

Which symbols a run has is known only once its data is loaded (`--data` may name other files,
a Parquet file holds what it holds), so the check is made here, after loading and before the
first step: both engines index the symbol by position and never meet a name the data lacks.
"""

from __future__ import annotations

from collections.abc import Sequence

from flowc.compiler.bind.state import Binding
from flowc.dsl.diagnostics import Diagnostic, diagnose, did_you_mean


def unknown_symbols(binding: Binding, symbols: Sequence[str]) -> list[Diagnostic]:
    """FL616 for each `name@SYMBOL` whose symbol the loaded data does not have."""
    problems = []
    for name, symbol, span in binding.cross_reads:
        if symbol not in symbols:
            hint = did_you_mean(symbol, list(symbols)) or "the data has the symbols " + ", ".join(symbols[:12])
            problems.append(diagnose("FL616", span, hint, name=name, symbol=symbol))
    return problems
