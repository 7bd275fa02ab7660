"""Where flowc keeps its per-user caches (grammar tables, generated modules, numba's cache).

An explicit per-user directory, never a predictable shared temp file: a cache
that another user could plant would be loaded as code.
"""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir() -> Path:
    """`$FLOWC_CACHE_DIR`, else `$XDG_CACHE_HOME/flowc`, else `~/.cache/flowc`; created on demand."""
    root = os.environ.get("FLOWC_CACHE_DIR")
    if root:
        path = Path(root)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        path = Path(base) / "flowc"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
