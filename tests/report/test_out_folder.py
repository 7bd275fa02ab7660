"""`flowc run --out DIR` replaces DIR's results as one set (issue 19, item 15).

A run killed (SIGKILL) at any point of writing leaves DIR as it was, or, for a new DIR, no DIR:
never new results beside old ones, a folder holding only some files, or stray temporary files.
The kill is simulated in a forked child, after its n-th file is written.
"""

import json
import os
import signal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowc.tools import manifest
from flowc.tools.cli import main
from tests.conftest import EXAMPLES

FLOW = EXAMPLES / "simple_backtest.flow"
FILES_WRITTEN = 7  # metrics, equity, trades, orders, fills, positions, manifest


def _consistent(out) -> dict:
    record = json.loads((out / "manifest.json").read_text())
    assert manifest.result_digests(out) == record["results"]
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]
    return record


def _killed_run(out, after: int, *extra: str) -> None:
    """`flowc run --out out` in a child process that SIGKILLs itself once `after` files are written."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            from flowc.runtime import files, results

            real, count = files.write_text, [0]

            def dying(path, text):
                real(path, text)
                count[0] += 1
                if count[0] >= after:
                    os.kill(os.getpid(), signal.SIGKILL)

            results.write_text = files.write_text = dying
            main(["run", str(FLOW), "--out", str(out), "--quiet", *extra])
        finally:
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(after=st.integers(1, FILES_WRITTEN), reused=st.booleans())
def test_a_killed_run_leaves_the_old_set_or_nothing(tmp_path_factory, after, reused):
    folder = tmp_path_factory.mktemp("out")
    out = folder / "r"
    if reused:
        assert main(["run", str(FLOW), "--out", str(out), "--quiet", "--set", "fast=5"]) == 0
        (out / "notes.txt").write_text("mine")
        before = _consistent(out)
    _killed_run(out, after)
    if reused:
        assert _consistent(out) == before and (out / "notes.txt").read_text() == "mine"
    else:
        assert not out.exists()
    # the next run cleans what the killed one left beside the folder, and keeps the user's file
    assert main(["run", str(FLOW), "--out", str(out), "--quiet"]) == 0
    record = _consistent(out)
    assert record["params"]["fast"] == 10
    assert sorted(p.name for p in folder.iterdir()) == ["r"]
    assert reused == (out / "notes.txt").exists()


def test_a_rerun_replaces_the_report_with_the_results(tmp_path):
    out = tmp_path / "r"
    out.mkdir()
    (out / "report.html").write_text("stale")
    (out / ".trades.csv.abc.tmp").write_text("left by a killed run")
    assert main(["run", str(FLOW), "--out", str(out), "--quiet"]) == 0
    assert not (out / "report.html").exists()
    _consistent(out)


@pytest.mark.parametrize("kind", ["file", "unwritable"])
def test_an_out_that_cannot_hold_results_is_a_message(tmp_path, capsys, kind):
    if kind == "file":
        out = tmp_path / "taken"
        out.write_text("a file")
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes anywhere")
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        out = locked / "r"
    assert main(["run", str(FLOW), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    words = "it is a file; name a folder" if kind == "file" else "cannot write the results:"
    assert err.startswith(f"flowc: --out {out}: {words}") and "Traceback" not in err
