"""Reading a file flowc was pointed at: regular files only, and `.flow` files only up to a size.

Why it exists: a path in a `.flow` file or on the command line can name anything, and reading
`/dev/zero` grows memory without end, a FIFO blocks until someone writes to it, and a
device or `/dev/urandom` never ends. Every `.flow` file (the main file, imports, the language
server's imports) and every data file is opened here first: a FIFO is opened without waiting,
and whatever is not a regular file is refused before a byte is read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_FLOW_BYTES = 16 * 1024 * 1024  # a .flow file larger than this is not a topology anyone wrote


class NotRegularFile(OSError):
    """The path is a device, FIFO, socket or folder; or a `.flow` file over the size limit."""


def kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_regular(path: str | Path) -> None:
    """NotRegularFile unless `path` (symlinks followed) is a regular file; other OSErrors pass through."""
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise NotRegularFile(f"it is {kind_of(mode)}, not a regular file")


def read_regular(path: str | Path, limit: int | None = MAX_FLOW_BYTES) -> bytes:
    """The bytes of a regular file, at most `limit` of them (NotRegularFile beyond); OSError as open() raises it."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(f"it is {kind_of(info.st_mode)}, not a regular file")
        if limit is not None and info.st_size > limit:
            raise NotRegularFile(f"it is {_size(info.st_size)}, over the limit of {_size(limit)} for a .flow file")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read() if limit is None else f.read(limit + 1)
    finally:
        os.close(fd)
    if limit is not None and len(data) > limit:  # grew while it was read
        raise NotRegularFile(f"it is over the limit of {_size(limit)} for a .flow file")
    return data


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} bytes"
