"""Test session set-up: one flowc (and numba) cache for the whole session, inside the checkout."""

import os
from pathlib import Path

_CACHE = Path(__file__).resolve().parent.parent / ".pytest_cache" / "flowc"
os.environ.setdefault("FLOWC_CACHE_DIR", str(_CACHE))
os.environ.setdefault("NUMBA_CACHE_DIR", str(_CACHE / "numba"))

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
