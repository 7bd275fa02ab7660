"""Test session set-up: one flowc (and numba) cache for the whole session, inside the checkout."""

import os
from pathlib import Path

_CACHE = Path(__file__).resolve().parent.parent / ".pytest_cache" / "flowc"
os.environ.setdefault("FLOWC_CACHE_DIR", str(_CACHE))
os.environ.setdefault("NUMBA_CACHE_DIR", str(_CACHE / "numba"))
# `flowc run` answers a topology it has not compiled with the reference engine and compiles it in a
# detached child; the suite runs hundreds of topologies, so only `tests/runtime/test_tiers.py` starts one.
os.environ.setdefault("FLOWC_BACKGROUND_COMPILE", "0")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
