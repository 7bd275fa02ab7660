"""I/O and usage errors are a message and exit 2, never a traceback (issue 19, item 21).

`--out` or `--capture-signals` naming a file, an unwritable or full disk, a bad `--plugin`,
`dask://:::`; and a damaged entry of numba's on-disk cache is discarded and rebuilt.
"""

import errno
import importlib.util
import os
import sys

import pytest

from flowc.tools.cli import main
from tests.conftest import EXAMPLES
from tests.sweep.flows import flow_file

FLOW = str(EXAMPLES / "simple_backtest.flow")


def _fails_with(capsys, argv, words):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and words in err, err
    return err


def test_capture_signals_into_a_file(tmp_path, capsys):
    taken = tmp_path / "taken"
    taken.write_text("x")
    _fails_with(capsys, ["run", FLOW, "--quiet", "--capture-signals", str(taken)], "it is a file; name a folder")


def test_a_sweep_out_that_is_a_file(tmp_path, capsys):
    taken = tmp_path / "taken"
    taken.write_text("x")
    flow = flow_file(tmp_path, "sweep fast in [5, 10]")
    _fails_with(capsys, ["run", str(flow), "--quiet", "--out", str(taken)], "it is a file; name a folder")


@pytest.mark.parametrize("body, words", [("x = (\n", "SyntaxError"), ("raise RuntimeError('boom')\n", "boom")])
def test_a_bad_plugin(tmp_path, capsys, body, words):
    plugin = tmp_path / f"bad_plugin_{abs(hash(body)) % 10**6}.py"
    plugin.write_text(body)
    err = _fails_with(capsys, ["--plugin", str(plugin), "lint", FLOW], f"--plugin {plugin}: cannot import it")
    assert words in err
    _fails_with(capsys, ["--plugin", "no_such_module_anywhere", "lint", FLOW], "ModuleNotFoundError")


def test_a_bad_dask_address(tmp_path, capsys):
    pytest.importorskip("distributed")
    flow = flow_file(tmp_path, "sweep fast in [5, 10]")
    _fails_with(capsys, ["run", str(flow), "--quiet", "--executor", "dask://:::"], "invalid address")


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_a_full_or_read_only_disk(tmp_path, capsys, monkeypatch, code):
    from flowc.runtime import results

    def full(path, text):
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(results, "write_text", full)
    err = _fails_with(capsys, ["run", FLOW, "--quiet", "--out", str(tmp_path / "r")], "cannot write the results")
    assert os.strerror(code) in err and not (tmp_path / "r").exists()


def test_an_unwritable_cache_is_a_message(tmp_path, capsys, monkeypatch):
    from flowc.runtime import executor

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(tmp_path / "cache"))

    monkeypatch.setattr(executor, "load_generated", read_only)
    flow = tmp_path / "fresh.flow"  # a plan of its own, so nothing compiled is reused
    flow.write_text((EXAMPLES / "simple_backtest.flow").read_text().replace("percent(0.1)", "percent(0.2)"))
    assert main(["run", str(flow), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err == f"flowc: {os.strerror(errno.EROFS)}: {tmp_path / 'cache'}\n"


def test_a_truncated_numba_cache_entry_is_rebuilt(tmp_path):
    from flowc.runtime import numba_cache

    numba_cache.install()
    source = tmp_path / "cached_fn_for_flowc_test.py"
    source.write_text("from numba import njit\n\n\n@njit(cache=True)\ndef plus_one(x):\n    return x + 1\n")

    def fresh():
        spec = importlib.util.spec_from_file_location("cached_fn_for_flowc_test", source)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.plus_one

    first = fresh()
    assert first(1) == 2
    folder = first.stats.cache_path
    entries = [os.path.join(folder, f) for f in os.listdir(folder) if f.startswith("cached_fn_for_flowc_test")]
    assert any(e.endswith(".nbi") for e in entries) and any(e.endswith(".nbc") for e in entries)
    for name in entries:
        with open(name, "r+b") as f:
            f.truncate(os.path.getsize(name) // 2)
    again = fresh()
    assert again(41) == 42
    assert fresh()(1) == 2  # the rebuilt entry loads
    sys.modules.pop("cached_fn_for_flowc_test", None)
