"""The symbols a workflow's data sources yield, where the text alone says (`name@SYMBOL`, FL616).

`sample(NAME)`: `NAME` upper-cased; `csv(path)`: the file's stem upper-cased;
`synthetic(symbols = K)`: `S0` .. `S{K-1}`; any source with `symbol = "X"`: `X`. A Parquet file
without `symbol` holds what it holds: only the loaded data knows. `--data SYMBOL=PATH` replaces a
symbol's bars and never adds a symbol, so where every source is known, so are the run's symbols.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flowc.compiler import components as comp
from flowc.compiler.ir import DataConfig
from flowc.compiler.schema import Roles


def source_symbols(kind: str, args: Mapping[str, object]) -> list[str] | None:
    """The symbols a source yields, named as the loader names them; None where only the file knows."""
    if kind == "synthetic":
        contract = comp.lookup(Roles.DATA, "source", "synthetic")
        default = next(a.default for a in contract.args if a.name == "symbols")  # type: ignore[union-attr]
        return [f"S{k}" for k in range(int(args.get("symbols") or default))]  # type: ignore[call-overload]
    if args.get("symbol"):
        return [str(args["symbol"])]
    if kind == "sample":
        return [str(args["name"]).upper()]
    if kind == "csv":
        return [Path(str(args["path"])).stem.upper()]
    return None


def known_symbols(configs: list[DataConfig]) -> list[str] | None:
    """Every symbol of the data containers' sources, or None if some source's symbols are known only once loaded."""
    found: list[str] = []
    for config in configs:
        for source in config.sources:
            named = source_symbols(source.kind, source.args)
            if named is None:
                return None
            found += named
    return found
