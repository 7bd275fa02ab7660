"""Code generation: a plan becomes the source of one Python module with one `@njit` program.

The module is specialised to the plan: routing, guards, combine rules and cost models are
resolved here, so the loop holds no dictionaries and no Python objects. Numbers and params are
read from the parameter vector `p`, symbols in predicates from `symlit`; the only text from the
`.flow` file that reaches the source is container names, validated identifiers, in variable
names and comments.

- `contract`: what the program takes and returns (buffers with typed shapes, records, fixed
  arguments); its callers allocate from it.
- `layout`: the decisions made before emitting (hoisted groups, locals, fusion), as data.
- `writer`, `context`, `expr`: lines, the state shared by the emitters, expressions.
- `series`, `risk`, `execution`, `portfolio`: one emitter per role (`program.EMITTERS`).
- `legend`: the module docstring, a legend of the names and a table of the parameter slots.
- `program`: the module, its prefix functions and its step loop in tiles.

Each of the speed-ups (tiles, locals, fusion, registers, int counters, the one-symbol program,
`present=None` on complete data) is checked against the reference engine.
"""

from flowc.compiler.codegen.contract import (
    FIXED_ARGS,
    MARKET_ARGS,
    RECORDS,
    Buffer,
    Capacity,
    Fields,
    Generated,
    Portfolios,
    Sizes,
    StateSize,
    Steps,
    Symbols,
    tile_steps,
)
from flowc.compiler.codegen.program import EMITTERS, generate

__all__ = ["EMITTERS", "FIXED_ARGS", "MARKET_ARGS", "RECORDS", "Buffer", "Capacity", "Fields", "Generated",
           "Portfolios", "Sizes", "StateSize", "Steps", "Symbols", "generate", "tile_steps"]
