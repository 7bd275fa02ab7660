"""A damaged entry of numba's on-disk cache is a cache miss, not a crash.

Why it exists: numba reads its cache index (`*.nbi`) and data (`*.nbc`) with pickle and lets any
error through, so a file cut short (a full disk, a killed process, a copy gone wrong) made every
later run end in `UnpicklingError`. `install()` wraps numba's `Cache.load_overload`: an entry that
cannot be read is discarded (its index emptied through numba's own `flush`), the function is
compiled again and saved over it. Installed once, before the first compiled call of a run.
"""

from __future__ import annotations

import contextlib

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    from numba.core import caching

    original = caching.Cache.load_overload

    def load_overload(self, sig, target_context):
        try:
            return original(self, sig, target_context)
        except Exception:  # whatever a damaged file raises (pickle, EOF, zlib, ...)
            with contextlib.suppress(OSError):  # a read-only cache: compiled anyway, just not saved
                self._cache_file.flush()  # an empty index: the next save writes a whole entry
            return None

    caching.Cache.load_overload = load_overload
    _installed = True
