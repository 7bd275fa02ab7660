"""The loader: a file and everything it imports, each parsed once, with cycles and missing files as diagnostics.

Spec section 2: `std/...` is the standard library, other paths are relative to
the importing file, a file reached twice counts once, and an import cycle is an
error that shows the chain. Every failure here is a diagnostic in the
`SourceSet`, never an exception (except a main file that cannot be read,
FL601, which the CLI turns into exit code 1).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flowc.dsl import ast
from flowc.dsl.diagnostics import FlowError
from flowc.dsl.loader import load, load_text, std_files
from flowc.dsl.render import render_text


def write(folder: Path, files: dict[str, str | bytes]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))


def codes(sources) -> list[str]:
    return [d.code for d in sources.diagnostics]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch folder that is also the working directory, so paths print as users typed them."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_std_files_are_listed_and_all_load() -> None:
    assert {"std/simple_backtest.flow", "std/full_backtest.flow"} <= set(std_files())
    for name in std_files():
        sources = load_text(f'import "{name}"\n', "main.flow")
        assert sources.diagnostics == []
        assert f"<std>/{name.removeprefix('std/')}" in sources.modules


def test_relative_imports_load_in_order_main_first(project: Path) -> None:
    write(project, {
        "main.flow": 'import "lib/params.flow"\nimport "std/simple_backtest.flow"\n',
        "lib/params.flow": 'import "more.flow"\nparam fast: int = 10\n',
        "lib/more.flow": "param slow: int = 30\n",
    })
    sources = load("main.flow")
    assert sources.diagnostics == []
    assert list(sources.modules) == ["main.flow", "lib/params.flow", "lib/more.flow", "<std>/simple_backtest.flow"]
    assert sources.main == "main.flow"
    assert isinstance(sources.main_module.declarations[0], ast.Import)
    assert set(sources.sources) == set(sources.modules)


def test_a_file_reached_twice_counts_once(project: Path) -> None:
    write(project, {
        "main.flow": 'import "a.flow"\nimport "b.flow"\nimport "./a.flow"\n',
        "a.flow": 'import "shared.flow"\n',
        "b.flow": 'import "sub/../shared.flow"\n',
        "shared.flow": "param fast: int = 10\n",
    })
    sources = load("main.flow")
    assert sources.diagnostics == []
    assert list(sources.modules) == ["main.flow", "a.flow", "shared.flow", "b.flow"]


def test_the_same_std_file_imported_twice_counts_once() -> None:
    sources = load_text('import "std/simple_backtest.flow"\nimport "std/simple_backtest.flow"\n', "main.flow")
    assert sources.diagnostics == [] and len(sources.modules) == 2


@pytest.mark.parametrize(("files", "chain"), [
    ({"a.flow": 'import "a.flow"\n'}, "a.flow -> a.flow"),
    ({"a.flow": 'import "b.flow"\n', "b.flow": 'import "a.flow"\n'}, "a.flow -> b.flow -> a.flow"),
    ({"a.flow": 'import "b.flow"\n', "b.flow": 'import "c.flow"\n', "c.flow": 'import "a.flow"\n'},
     "a.flow -> b.flow -> c.flow -> a.flow"),
    ({"a.flow": 'import "b.flow"\n', "b.flow": 'import "c.flow"\n', "c.flow": 'import "b.flow"\n'},
     "b.flow -> c.flow -> b.flow"),
])
def test_import_cycles_show_the_chain(project: Path, files: dict[str, str], chain: str) -> None:
    write(project, files)
    sources = load("a.flow")
    (cycle,) = sources.diagnostics
    assert cycle.code == "FL203"
    assert cycle.message == f"import cycle: {chain}"
    assert cycle.span is not None and cycle.span.path in sources.sources


def test_missing_imports(project: Path) -> None:
    write(project, {"main.flow": 'import "nowhere.flow"\nimport "std/nothing.flow"\nimport "std/sub/x.flow"\n'})
    sources = load("main.flow")
    assert codes(sources) == ["FL204", "FL204", "FL204"]
    relative, std, nested = sources.diagnostics
    assert relative.message == 'cannot find the imported file "nowhere.flow"'
    assert relative.hint == "paths are relative to the importing file"
    assert '"std/simple_backtest.flow"' in std.hint and '"std/full_backtest.flow"' in std.hint
    assert nested.code == "FL204"
    assert (relative.span.line, relative.span.column) == (1, 1)


@pytest.mark.parametrize("path", ["", ".", "lib", "a\x00b.flow", "std/a\x00b.flow", "x" * 5000])
def test_unusable_import_paths_are_missing_files(project: Path, path: str) -> None:
    (project / "lib").mkdir()
    sources = load_text(f'import "{path}"\n', str(project / "main.flow"))
    assert codes(sources) == ["FL204"]


def test_a_syntax_error_in_an_imported_file_points_into_it(project: Path) -> None:
    write(project, {"main.flow": 'import "lib.flow"\nparam fast: int = 10\n', "lib.flow": "param slow = 30\n"})
    sources = load("main.flow")
    (diagnostic,) = sources.diagnostics
    assert (diagnostic.code, diagnostic.span.path, diagnostic.span.line) == ("FL106", "lib.flow", 1)
    assert "main.flow" in sources.modules and "lib.flow" not in sources.modules
    assert "1 | param slow = 30" in render_text(sources.diagnostics, sources.sources)


def test_an_undecodable_import_shows_its_bad_line(project: Path) -> None:
    write(project, {"main.flow": 'import "latin1.flow"\n', "latin1.flow": "# caf\u00e9\n".encode("latin-1")})
    sources = load("main.flow")
    (diagnostic,) = sources.diagnostics
    assert (diagnostic.code, diagnostic.span.path, diagnostic.span.column) == ("FL104", "latin1.flow", 6)
    assert "1 | # caf\ufffd" in render_text(sources.diagnostics, sources.sources)


def test_a_main_file_that_cannot_be_read_is_fl601(project: Path) -> None:
    with pytest.raises(FlowError) as missing:
        load("nowhere.flow")
    assert [d.code for d in missing.value.diagnostics] == ["FL601"]
    (project / "folder.flow").mkdir()
    with pytest.raises(FlowError) as folder:
        load("folder.flow")
    assert [d.code for d in folder.value.diagnostics] == ["FL601"]


def test_a_byte_order_mark_is_dropped_from_text_and_bytes() -> None:
    for text in ("\ufeffparam x = 1\n", b"\xef\xbb\xbfparam x = 1\n"):
        sources = load_text(text, "bom.flow")
        (diagnostic,) = sources.diagnostics
        assert (diagnostic.span.line, diagnostic.span.column) == (1, 9)  # `=`, as if there were no BOM
        assert sources.sources["bom.flow"].text == "param x = 1\n"


def test_paths_print_relative_to_the_working_directory(project: Path) -> None:
    write(project, {"sub/main.flow": 'import "../lib.flow"\n', "lib.flow": "param x = 1\n"})
    sources = load(project / "sub" / "main.flow")
    assert sources.main == "sub/main.flow"
    assert sources.diagnostics[0].span.path == "lib.flow"


def test_in_memory_text_imports_relative_to_its_path(project: Path) -> None:
    write(project, {"lib/params.flow": "param fast: int = 10\n"})
    sources = load_text('import "params.flow"\n', str(project / "lib" / "editor-buffer.flow"))
    assert sources.diagnostics == []
    assert "lib/params.flow" in sources.modules
