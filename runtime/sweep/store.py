"""The store of finished points: `sweep.jsonl` in the output directory, one JSON line per point.

Why a line file: a point is stored the moment its chunk comes back, by appending one line and
flushing, so Ctrl-C or a killed client loses at most the chunks still running. A line cut
short by a crash is dropped (and cut off the file) when the store is opened again. The first
line is a header with the signature of what the points depend on (the workflow, its sources
and data, the `--set` overrides, walk-forward settings); a store made by anything else is
refused rather than mixed in, and `flowc run` names the file to delete; a file that is not a
store, not a regular file (a symlink is never followed) or another sweep's is refused before
anything in it is changed.

Resuming: points stored with status `ok` are skipped; failed points are run again (a failure
may have been the machine's, and a deterministic one costs one more run). The latest row of a
key wins. Each row records the run (`run`) that produced it, so a resumed sweep can show
which points it reused.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from flowc.runtime.sweep.task import Row

FILE = "sweep.jsonl"
FORMAT = 1
HEADER_BYTES = 1 << 20  # a header line longer than this is not a store's


class StoreMismatch(ValueError):
    """The output directory holds the points of another sweep."""


class Store:
    def __init__(self, path: Path, header: dict[str, object], rows: dict[str, Row]):
        self.path = path
        self.header = header
        self.rows = rows
        self._file = path.open("a", encoding="utf-8")

    @classmethod
    def open(cls, folder: str | Path, signature: str, **about: object) -> Store:
        """The store in `folder`: its finished points if it exists (same signature only), else a new one."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / FILE
        try:
            info = path.lstat()
        except FileNotFoundError:
            info = None
        if info is not None and not stat.S_ISREG(info.st_mode):  # a symlink, FIFO, folder: never followed
            raise StoreMismatch(f"{path} is not a regular file (a symlink, folder, FIFO or device); use another "
                                "--out, or remove it")
        if info is None or info.st_size == 0:
            header = {"flowc_sweep": FORMAT, "signature": signature, **about}
            _write_new(path, json.dumps(header) + "\n")
            return cls(path, header, {})
        header = _header(path)  # the file is checked before anything in it is changed
        if header.get("signature") != signature:
            raise StoreMismatch(f"{path} holds the points of another sweep (workflow `{header.get('workflow')}`, "
                                "or other sources, data or --set values); use another --out, or delete the file "
                                "to start over")
        return cls(path, header, _read(path))

    def finished(self) -> set[str]:
        return {key for key, r in self.rows.items() if r.get("status") == "ok"}

    def add(self, rows: list[Row]) -> None:
        """Store rows now: one line each, flushed before returning."""
        self._file.write("".join(json.dumps(r, allow_nan=False) + "\n" for r in rows))
        self._file.flush()
        for r in rows:
            self.rows[str(r["key"])] = r

    def close(self) -> None:
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _write_new(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _header(path: Path) -> dict[str, object]:
    """The header line of a store; StoreMismatch when the file is not one (read, never written)."""
    with path.open("rb") as f:
        first = f.readline(HEADER_BYTES)
    try:
        header = json.loads(first.decode("utf-8")) if first.endswith(b"\n") else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        header = None
    if not isinstance(header, dict) or header.get("flowc_sweep") != FORMAT:
        raise StoreMismatch(f"{path} is not a flowc sweep store; use another --out, or delete the file")
    return header


def _read(path: Path) -> dict[str, Row]:
    """The rows of a store whose header was checked; a last line cut short by a crash is cut off the file."""
    data = path.read_bytes()
    complete = data.rfind(b"\n") + 1
    if complete < len(data):  # so that appends start on a fresh line
        with path.open("r+b") as f:
            f.truncate(complete)
    lines = data[:complete].decode("utf-8", errors="replace").splitlines()
    rows: dict[str, Row] = {}
    for line in lines[1:]:
        try:
            r = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(r, dict) and "key" in r:
            rows[str(r["key"])] = r
    return rows
