"""Only regular files are read, `.flow` files up to a size (issue 19, item 16).

`/dev/zero`, `/dev/urandom` and FIFOs as the main file, an import or a data file: each is a
diagnostic at once, with no read (a FIFO would block, a device never ends). Each call runs in a
thread with a deadline, and a FIFO is opened for writing afterwards so a regression hangs no one.
"""

import os
import threading

import pytest

from flowc.dsl.diagnostics import FlowError
from flowc.dsl.files import MAX_FLOW_BYTES
from flowc.dsl.loader import load, load_text
from flowc.runtime.data import load_source
from flowc.tools.cli import main
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.skipif(not os.path.exists("/dev/zero") or not hasattr(os, "mkfifo"), reason="POSIX only")


def _within(seconds, fn, *, fifo=None):
    box = {}

    def call():
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(seconds)
    hung = thread.is_alive()
    if hung and fifo is not None:  # unblock the reader
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        thread.join(5)
    assert not hung, f"{fn} did not return within {seconds}s"
    if "error" in box:
        raise box["error"]
    return box.get("value")


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe.flow"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom", "FIFO", "HUGE", "DIR"])
def test_an_import_of_a_file_that_is_not_regular_is_a_diagnostic(tmp_path, fifo, target):
    if target == "FIFO":
        target = str(fifo)
    elif target == "HUGE":
        huge = tmp_path / "huge.flow"
        with open(huge, "wb") as f:
            f.truncate(MAX_FLOW_BYTES + 1)  # sparse: the size is refused before a byte is read
        target = str(huge)
    elif target == "DIR":
        target = str(tmp_path)
    sources = _within(10, lambda: load_text(f'import "{target}"\n', str(tmp_path / "main.flow")), fifo=fifo)
    [d] = sources.diagnostics
    assert d.code == "FL204" and f'cannot import "{target}"' in d.message
    assert ("not a regular file" in d.message) or ("over the limit" in d.message)


@pytest.mark.parametrize("command", ["lint", "fmt", "compile"])
def test_the_main_file_is_a_fifo_or_a_device(fifo, capsys, command):
    for target in (str(fifo), "/dev/zero"):
        code = _within(10, lambda target=target: main([command, target]), fifo=fifo)
        assert code in (1, 2)
        err = capsys.readouterr().err
        assert "not a regular file" in err and "Traceback" not in err


def test_lint_of_an_importing_file_does_not_hang(tmp_path, fifo, capsys):
    main_file = tmp_path / "main.flow"
    main_file.write_text(f'import "{fifo.name}"\nimport "/dev/zero"\n')
    assert _within(10, lambda: main(["lint", str(main_file)]), fifo=fifo) == 1
    shown = capsys.readouterr()
    assert (shown.out + shown.err).count("not a regular file") == 2


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom", "FIFO"])
def test_a_data_file_that_is_not_regular_is_fl601(tmp_path, target):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    path = str(fifo) if target == "FIFO" else target
    with pytest.raises(FlowError) as caught:
        _within(10, lambda: load_source("csv", {"path": path}, base_dir=tmp_path), fifo=fifo)
    [d] = caught.value.diagnostics
    assert d.code == "FL601" and "not a regular file" in d.message


def test_run_with_a_fifo_as_data_does_not_hang(tmp_path, capsys):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    flow = tmp_path / "b.flow"
    flow.write_text((EXAMPLES / "simple_backtest.flow").read_text()
                    .replace('sample("sp500", symbol = "SPX")', f'csv("{fifo}", symbol = "SPX")'))
    assert _within(60, lambda: main(["run", str(flow), "--quiet"]), fifo=fifo) == 1
    assert "FL601" in capsys.readouterr().err


def test_a_regular_file_still_loads(tmp_path):
    path = tmp_path / "ok.flow"
    path.write_text((EXAMPLES / "simple_backtest.flow").read_text())
    assert not load(path).diagnostics
