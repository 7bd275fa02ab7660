"""The engine of flowc: kernels, data, the executor, results, the workflow manager and sweeps.

Kept light on purpose: importing this package loads neither numba nor pandas,
so `flowc lint` and `flowc fmt` start fast. It points numba's on-disk cache
at flowc's per-user cache directory (unless NUMBA_CACHE_DIR is set) before
anything imports numba, so an installed package never writes into its own folder.
"""

import os

from flowc.dsl.cache import user_cache_dir

os.environ.setdefault("NUMBA_CACHE_DIR", str(user_cache_dir() / "numba"))
