"""Documents and files: protocol URIs, and the keys the loader gives the files it loads.

The loader names a file by its path relative to the working directory when it is
inside it (absolute otherwise), and a standard-library file `<std>/NAME.flow`.
A buffer is loaded under the key the loader would give its file on disk, so that
an import of it from another file is recognised as the same file.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urlparse

# The loader's own resolution, so that keys agree exactly; public names would be better (see the LSP notes).
from flowc.dsl.loader import display_path, resolve_import

STD = "<std>/"


def key_of(uri: str) -> str:
    """The loader's key of the file behind a URI (the URI itself when it is not a file)."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return uri
    path = unquote(parsed.path)
    if len(path) > 2 and path[0] == "/" and path[2] == ":":  # file:///C:/... on Windows
        path = path[1:]
    try:
        return display_path(Path(path).resolve())
    except OSError:
        return display_path(Path(path))


def _is_uri(key: str) -> bool:
    scheme, colon, _ = key.partition(":")
    return bool(colon) and len(scheme) > 1 and scheme.isalpha()  # not `C:` of a Windows path


def file_of(key: str) -> Path | None:
    """The file on disk behind a loader key (the standard library's files included)."""
    if key.startswith(STD):
        entry = resources.files("flowc.dsl").joinpath("std", key[len(STD):])
        try:
            return Path(str(entry)) if entry.is_file() else None
        except (OSError, TypeError):
            return None
    if key.startswith("<") or _is_uri(key):
        return None  # `<input>`, `untitled:Untitled-1`
    return Path(key).absolute()


def uri_of(key: str) -> str | None:
    """The URI of a loader key: the file's, or the key itself for a buffer with no file."""
    if _is_uri(key):
        return key
    path = file_of(key)
    return path.as_uri() if path is not None else None


def import_target(importer: str, path: str) -> str:
    """The key of the file `import "path"` in the file `importer` loads."""
    return resolve_import(importer, path)[0]
