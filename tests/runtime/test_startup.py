"""The `flowc` command's start-up and exit: it leaves without the interpreter's teardown, and loses nothing.

Each test runs `python -m flowc.tools` in a child process, as a user's shell does, on the
session's cache (the compiled programs are shared with the other tests).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from flowc.tools import cli

ROOT = Path(__file__).resolve().parents[2]
SIMPLE = ROOT / "examples" / "simple_backtest.flow"


def flowc(*argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flowc.tools", *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_a_run_leaving_fast_writes_every_output_and_prints_all_of_it(tmp_path):
    out = tmp_path / "out"
    done = flowc("run", str(SIMPLE), "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)  # stdout complete: the whole JSON document
    written = json.loads((out / "metrics.json").read_text())
    assert written["final_equity"] == shown["final_equity"] and written["trades"] == shown["trades"] == 88
    assert len((out / "equity.csv").read_text().splitlines()) == shown["steps"] + 1
    assert len((out / "trades.csv").read_text().splitlines()) == shown["trades"] + 1
    assert json.loads((out / "manifest.json").read_text())["results"]
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no temporary file left behind


def test_a_warm_run_does_not_import_pandas():
    """pandas' import costs 0.2 s: a run whose data was read before (here the sample) loads the checked bars."""
    warm = ("from pathlib import Path\nfrom flowc.runtime.data import load_source\n"
            "load_source('sample', {'name': 'sp500'}, base_dir=Path('.'))\n")
    subprocess.run([sys.executable, "-c", warm], cwd=ROOT, check=True, timeout=300)
    script = ("import sys\nfrom flowc.tools.cli import main\n"
              f"code = main(['run', {str(SIMPLE)!r}, '--quiet'])\n"
              "print(code, sorted(m for m in sys.modules if m.split('.')[0] == 'pandas'))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.stdout.splitlines()[-1] == "0 []", done.stderr


def test_version_is_read_only_when_asked():
    done = flowc("--version")
    assert done.returncode == 0 and done.stdout.startswith("flowc ")
    script = ("import sys\nfrom flowc.tools.cli import build_parser\nbuild_parser()\n"
              "print('importlib.metadata' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


def test_the_exit_code_of_a_failing_command_is_kept():
    done = flowc("lint", str(ROOT / "tests" / "no-such-file.flow"))
    assert done.returncode == cli.EXIT_USAGE and "no-such-file.flow" in done.stderr


def plugin(tmp_path: Path, body: str) -> Path:
    """A `--plugin` module that runs `body` when imported (it registers no component)."""
    path = tmp_path / "at_exit_plugin.py"
    path.write_text(textwrap.dedent(body))
    return path


def test_atexit_handlers_still_run(tmp_path):
    marker = tmp_path / "marker"
    path = plugin(tmp_path, f"""
        import atexit, sys
        atexit.register(lambda: (open({str(marker)!r}, "w").write("done"), print("handler ran")))
    """)
    done = flowc("--plugin", str(path), "lint", str(SIMPLE))
    assert done.returncode == 0, done.stderr
    assert marker.read_text() == "done" and done.stdout.endswith("handler ran\n")


def test_a_thread_the_ordinary_exit_waits_for_is_waited_for(tmp_path):
    marker = tmp_path / "marker"
    path = plugin(tmp_path, f"""
        import threading, time
        def later():
            time.sleep(0.5)
            open({str(marker)!r}, "w").write("done")
        threading.Thread(target=later).start()
    """)
    done = flowc("--plugin", str(path), "lint", str(SIMPLE))
    assert done.returncode == 0, done.stderr
    assert marker.read_text() == "done"


def test_the_language_server_exits_the_ordinary_way():
    parser = cli.build_parser()
    assert parser.parse_args(["lsp"]).leave_fast is False
    assert not hasattr(parser.parse_args(["run", "x.flow"]), "leave_fast")  # entry() leaves fast by default


@pytest.mark.parametrize("hook", ["gettrace", "getprofile"])
def test_under_a_tracer_or_profiler_leave_exits_the_ordinary_way(monkeypatch, hook):
    """A coverage tracer or cProfile writes its results at exit: leave() must not skip that."""
    monkeypatch.setattr(sys, hook, lambda: object())
    with pytest.raises(SystemExit) as exited:
        cli.leave(3)
    assert exited.value.code == 3


def test_main_returns_instead_of_leaving(capsys):
    assert cli.main(["rules"]) == cli.EXIT_OK
    assert "FL101" in capsys.readouterr().out


def test_a_cold_cache_gets_the_summary_kernels_from_a_child_that_compiles_them_meanwhile(tmp_path):
    """`prewarm.start` leaves a child only while numba's cache lacks them, and the child fills it."""
    script = textwrap.dedent("""
        from flowc.runtime import prewarm
        child = prewarm.start()
        assert child is not None
        prewarm.finish(child)
        assert child.returncode == 0
        assert prewarm.start() is None
    """)
    env = {**os.environ, "FLOWC_CACHE_DIR": str(tmp_path)}
    env.pop("NUMBA_CACHE_DIR", None)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
