"""The engine of flowc: from a compiled plan and its data to a run's ledger, metrics and trades.

The workflow manager (`manager`) takes a `.flow` file through the compiler's stages (analyse,
lint, plan with its optimisation passes) and loads the data (`data`, `data_cache`); the
executor (`executor`) runs the generated program; the reference engine (`reference`) runs the
analysed graph and settings in plain Python, without plan or optimisation, as the oracle;
`kernels` holds the numba kernels of the components and `components` the API for user ones;
`ledger`, `trades`, `metrics` and `results` turn a run into numbers; `signals` captures and
replays signals; `sweep` runs grids and walk-forward on an inline, process-pool or Dask
executor. The command line, reports and manifest are above this layer, in `flowc.tools`.

Kept light on purpose: importing this package loads neither numba nor pandas,
so `flowc lint` and `flowc fmt` start fast. It points numba's on-disk cache
at flowc's per-user cache directory (unless NUMBA_CACHE_DIR is set) before
anything imports numba, so an installed package never writes into its own folder.
"""

import os

from flowc.dsl.cache import user_cache_dir

os.environ.setdefault("NUMBA_CACHE_DIR", str(user_cache_dir() / "numba"))
