"""Numba kernels of the standard components: one bar of one symbol per call.

The code generator calls `<component>_nb(state, *bar_fields, *args)` from its
step loop; `features` holds the feature kernels, `signals` the classifier and
strategy kernels and `ops` the expression operators. Their contracts (state
size, warm-up) live in `flowc.compiler.components`.

Importing this package points numba's on-disk cache at flowc's per-user cache
directory (unless NUMBA_CACHE_DIR is set), so an installed package never needs
write access to its own folder.
"""

import os

from flowc.dsl.cache import user_cache_dir

os.environ.setdefault("NUMBA_CACHE_DIR", str(user_cache_dir() / "numba"))
