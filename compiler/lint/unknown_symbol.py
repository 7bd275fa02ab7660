"""FL616: `name@SYMBOL` names a symbol that no data source yields.

Where every data source says its symbols (`compiler.data_symbols`), the check is made on the
text, so `flowc lint` and editors show it; otherwise it is made once the data is loaded, before
the run (`flowc.runtime.cross_symbols`).
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.compiler.data_symbols import known_symbols
from flowc.compiler.ir import DataConfig
from flowc.compiler.workflow import Analysis
from flowc.dsl.diagnostics import Diagnostic, diagnose, did_you_mean


def unknown_symbol(analysis: Analysis) -> Iterator[Diagnostic]:
    binding = analysis.binding
    if binding is None or not binding.cross_reads:
        return
    symbols = known_symbols([c.config for c in binding.containers.values() if isinstance(c.config, DataConfig)])
    if not symbols:
        return
    for name, symbol, span in binding.cross_reads:
        if symbol not in symbols:
            hint = did_you_mean(symbol, symbols) or "the data has the symbols " + ", ".join(symbols[:12])
            yield diagnose("FL616", span, hint, name=name, symbol=symbol)
