"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Every file flowc writes for a user (results, captured signals, sweep stores, generated
programs) goes through here: written to a temporary file in the same folder, then renamed.
A set of files that belong together (the results of `flowc run --out`) is written into a
staging folder beside its destination and swapped in as one (`staged_folder`).
"""

from __future__ import annotations

import errno
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside `path`, renamed onto it when the block succeeds and removed when it fails."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; results are ordinary files
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="")


# ---- a folder of files, replaced as one -------------------------------------------------------

STAGE_MARK = ".flowc-"


@contextmanager
def staged_folder(out: str | Path, replaces: Iterable[str] = ()) -> Iterator[Path]:
    """A new sibling folder to write a set of files into, swapped in for `out` when the block succeeds.

    A reader of `out` sees the old set or the new one, never a mix: the files are written into
    `.NAME.flowc-PID-XXXX` beside `out`, then one rename puts that folder in place (on Linux an
    atomic exchange with the old folder, elsewhere two renames with a moment in which `out` is
    absent, never mixed). Entries of the old folder that the new set does not hold and `replaces`
    does not name (a user's own files) are moved into the new folder first. A block that fails
    leaves `out` untouched; a process killed in it leaves only a hidden sibling, which the next
    write into `out` removes. OSError (`out` is a file, the parent is unwritable, ...) reaches the caller.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(out))
    parent = out.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(parent, out.name)
    stage = Path(tempfile.mkdtemp(dir=parent, prefix=f".{out.name}{STAGE_MARK}{os.getpid()}-"))
    os.chmod(stage, 0o777 & ~_UMASK)
    try:
        yield stage
        if out.is_dir():
            ours = {p.name for p in stage.iterdir()} | set(replaces)
            for entry in out.iterdir():
                if entry.name not in ours and not _stray(entry.name):
                    os.replace(entry, stage / entry.name)
            if not _exchange(stage, out):
                old = Path(tempfile.mkdtemp(dir=parent, prefix=f".{out.name}{STAGE_MARK}{os.getpid()}-"))
                os.replace(out, old / "old")
                os.replace(stage, out)
                stage = old
        else:
            os.replace(stage, out)
            return
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    shutil.rmtree(stage, ignore_errors=True)  # the old folder, after the exchange


def _stray(name: str) -> bool:
    """A temporary file of `atomic_path` left by a killed process."""
    return name.startswith(".") and name.endswith(".tmp")


def _remove_abandoned(parent: Path, name: str) -> None:
    """Staging folders of `name` whose process is gone (killed while writing)."""
    prefix = f".{name}{STAGE_MARK}"
    try:
        entries = [e for e in parent.iterdir() if e.name.startswith(prefix)]
    except OSError:
        return
    for entry in entries:
        pid = entry.name[len(prefix):].partition("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically (Linux `renameat2(RENAME_EXCHANGE)`); False where that is not available."""
    if sys.platform != "linux":
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))
