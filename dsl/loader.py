"""Load a `.flow` file and everything it imports, each file parsed once.

`import "std/NAME.flow"` reaches the standard library shipped inside the
package; any other path is relative to the importing file. An import cycle is
a diagnostic that shows the chain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from flowc.dsl import ast
from flowc.dsl.diagnostics import Diagnostic, FlowError, diagnose
from flowc.dsl.files import NotRegularFile, read_regular
from flowc.dsl.parser import decode, parse
from flowc.dsl.source import SourceFile

STD_PREFIX = "std/"


@dataclass
class SourceSet:
    """The files of one compilation: the main file first, then its imports in load order."""

    main: str
    modules: dict[str, ast.Module] = field(default_factory=dict)
    sources: dict[str, SourceFile] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def main_module(self) -> ast.Module | None:
        return self.modules.get(self.main)


def std_files() -> list[str]:
    """The names of the standard library's files (`std/simple_backtest.flow`, ...)."""
    folder = resources.files("flowc.dsl").joinpath("std")
    return sorted(STD_PREFIX + f.name for f in folder.iterdir() if f.name.endswith(".flow"))


def load(path: str | Path) -> SourceSet:
    """Load a file from disk with its imports. A missing main file raises FlowError (FL601)."""
    path = Path(path)
    try:
        data = read_regular(path)
    except OSError as exc:
        reason = str(exc) if isinstance(exc, NotRegularFile) else exc.strerror or type(exc).__name__
        raise FlowError([diagnose("FL601", None, "check the path; `flowc` reads `.flow` files",
                                  detail=f"cannot read `{path}`: {reason}")]) from None
    return load_text(data, display_path(path.resolve()))


def load_text(text: str | bytes, path: str, edited: Mapping[str, str] | None = None) -> SourceSet:
    """Load in-memory text (an editor buffer, a test) as if it were the file at `path`.

    `edited` holds texts by the loader's key of a file (an editor's unsaved buffers): an import
    of one of them reads that text instead of the file on disk.
    """
    sources = SourceSet(main=path)
    _Loader(sources, edited or {}).visit(path, text, chain=())
    return sources


class _Loader:
    def __init__(self, sources: SourceSet, edited: Mapping[str, str]):
        self.sources = sources
        self.edited = edited

    def visit(self, key: str, text: str | bytes, chain: tuple[str, ...]) -> None:
        try:
            if isinstance(text, bytes):
                text = decode(text, key)
            text = text.removeprefix("\ufeff")  # as `parse` does, so that spans match the text kept here
            self.sources.sources[key] = SourceFile(key, text)
            module = parse(text, key)
        except FlowError as exc:
            self.sources.diagnostics.extend(exc.diagnostics)
            for name, source in exc.sources.items():  # an undecodable file, to show the bad line
                self.sources.sources.setdefault(name, source)
            return
        self.sources.modules[key] = module
        for decl in module.declarations:
            if isinstance(decl, ast.Import):
                self.follow(key, decl, (*chain, key))

    def follow(self, importer: str, decl: ast.Import, chain: tuple[str, ...]) -> None:
        target, read = resolve_import(importer, decl.path)
        if target in chain:
            cycle = " -> ".join( (*chain[chain.index(target):], target))
            self.sources.diagnostics.append(diagnose("FL203", decl.span,
                                                     "move the shared declarations into a file that both import",
                                                     cycle=cycle))
            return
        if target in self.sources.modules or target in self.sources.sources:
            return
        text = self.edited.get(target)
        if text is None:
            try:
                text = read()
            except NotRegularFile as exc:
                self.sources.diagnostics.append(diagnose("FL204", decl.span,
                                                         "an import names a `.flow` file; only regular files are read",
                                                         detail=f'cannot import "{decl.path}": {exc}'))
                return
        if text is None:
            hint = ("the standard library has " + ", ".join(f'"{f}"' for f in std_files())
                    if decl.path.startswith(STD_PREFIX) else "paths are relative to the importing file")
            self.sources.diagnostics.append(diagnose("FL204", decl.span, hint,
                                                     detail=f'cannot find the imported file "{decl.path}"'))
            return
        self.visit(target, text, chain)


def resolve_import(importer: str, path: str):
    """The canonical key of an import and a function that reads it (None when missing)."""
    if "\x00" in path:  # no file system can name it: a file that is not there (FL204), not a crash
        return path, lambda: None
    if path.startswith(STD_PREFIX):
        name = path[len(STD_PREFIX):]
        entry = resources.files("flowc.dsl").joinpath("std", name)

        def read_std() -> bytes | None:
            return entry.read_bytes() if "/" not in name and entry.is_file() else None

        return f"<std>/{name}", read_std
    base = Path(importer).parent if not importer.startswith("<") else Path.cwd()
    try:
        target = (base / path).resolve()
    except (OSError, RuntimeError):  # a symlink loop, for one
        target = (base / path).absolute()

    def read_file() -> bytes | None:
        try:
            return read_regular(target)
        except NotRegularFile:
            raise
        except OSError:
            return None

    return display_path(target), read_file


def display_path(path: Path) -> str:
    """Paths inside the working directory print relative to it, as users typed them."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
