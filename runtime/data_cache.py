"""The cache of checked bars: a CSV file's columns after parsing and every check, kept as .npz.

Why it exists: reading a CSV needs pandas, whose import alone (0.2 s) costs more than all the
rest of a warm `flowc run` besides numba. A file that passed every check gives the same arrays
next time, so they are kept in the per-user cache and a warm run never imports pandas.

One entry per file path (so editing a file replaces its entry instead of adding one), holding
the SHA-256 of the content it was read from and the versions of the code that read it; a
changed file or reader misses and is read again. Only files that passed every check are
stored, so a file with problems is read afresh each time and every diagnostic keeps its place
and hint. Entries hold plain numeric arrays, loaded without pickle.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable
from functools import cache
from importlib import metadata
from pathlib import Path

import numpy as np

from flowc.dsl.cache import user_cache_dir
from flowc.runtime.files import atomic_path

FORMAT = 1
Columns = tuple[np.ndarray, dict[str, np.ndarray]]  # int64 microseconds, and each field's float64 values


def load_checked(path: Path, fields: tuple[str, ...], read: Callable[[], Columns], variant: str = "") -> Columns:
    """The columns of the CSV at `path`: from the cache when its content was read before, else `read()`.

    `variant` is what else decides the columns (a source's column names, adjusted prices): each
    variant of a file has an entry of its own."""
    try:
        before = _digest(path)
    except OSError:  # unreadable: `read` reports it
        return read()
    name = hashlib.sha256((str(path.resolve()) + variant).encode()).hexdigest()[:32]
    entry = user_cache_dir() / "data" / f"{name}.npz"
    key = f"{FORMAT} {before} {_reader()} {variant}"
    try:
        with np.load(entry, allow_pickle=False) as stored:
            if str(stored["key"]) == key:
                return stored["timestamp"], {f: stored[f] for f in fields}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):  # none yet, or unreadable: read the file
        pass
    stamps, values = read()
    try:
        if _digest(path) == before:  # not changed while it was read
            entry.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(entry) as tmp, tmp.open("wb") as f:
                np.savez(f, key=np.array(key), timestamp=stamps, **values)
    except OSError:  # a read-only or full cache costs speed, not the run
        pass
    return stamps, values


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@cache
def _reader() -> str:
    """What decides the arrays besides the file: the source of the data layer and the libraries it reads with."""
    digest = hashlib.sha256()
    for name in ("data.py", "data_columns.py"):
        digest.update(Path(__file__).with_name(name).read_bytes())
    source = digest.hexdigest()[:16]
    return f"data.py {source} pandas {_version('pandas')} numpy {np.__version__}"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "none"
