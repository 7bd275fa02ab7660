"""Pool workers die with their driver, and `--workers` is bounded by the machine (issue 19, item 18).

A driver process starts a pool, prints its workers' pids and is killed (SIGKILL, or SIGTERM, whose
default action ends it without any clean-up); its workers must be gone within seconds.
"""

import os
import signal
import subprocess
import sys
import time

import pytest

from flowc.runtime.sweep.executor import make_executor, max_workers
from flowc.tools.cli import main
from tests.sweep.flows import flow_file

DRIVER = """
import sys, time
from flowc.runtime.sweep.pool import PoolExecutor
pool = PoolExecutor(2)
pool.start(None)
print(" ".join(str(pid) for pid in pool._pool._processes), flush=True)
time.sleep(120)
"""


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            return any(line.startswith("State:") and "Z" in line for line in f)
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_their_driver(how):
    driver = subprocess.Popen([sys.executable, "-c", DRIVER], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in driver.stdout.readline().split()]
        assert len(pids) == 2 and not any(_gone(p) for p in pids)
        driver.send_signal(how)
        driver.wait(10)
        deadline = time.monotonic() + 10
        while not all(_gone(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert all(_gone(p) for p in pids), "workers outlived their driver"
    finally:
        driver.kill()
        driver.wait()
        for pid in pids if "pids" in locals() else []:
            if not _gone(pid):
                os.kill(pid, signal.SIGKILL)


def test_workers_are_bounded_by_the_machine():
    assert make_executor("process", 100_000).workers == max_workers()
    assert make_executor("process", 1).workers == 1


def test_too_many_workers_is_a_warning_and_the_sweep_runs(tmp_path, capsys):
    flow = flow_file(tmp_path, "sweep fast in [5, 10]")
    assert main(["run", str(flow), "--quiet", "--executor", "inline", "--workers", "100000"]) == 0
    assert main(["run", str(flow), "--quiet", "--workers", "100000"]) == 0
    err = capsys.readouterr().err
    assert err.count(f"--workers 100000: this machine gives flowc {max_workers()} core") == 1
