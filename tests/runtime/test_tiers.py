"""`--engine auto`: the engine that answers a run, and the background compile for the next one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from types import SimpleNamespace

from numba import njit

from flowc.runtime import tiers
from flowc.runtime.executor import presence_form
from flowc.runtime.interpret import in_process, on_disk
from tests.conftest import EXAMPLES


@njit
def _never_called(bar_open, bar_high, bar_low, bar_close, bar_volume, present):  # a program no run has compiled yet
    return bar_open


@njit(cache=True)
def _cached_for_complete_data(bar_open, bar_high, bar_low, bar_close, bar_volume, present):
    return bar_open  # only ever called with `present` None: numba's cache holds that signature alone


def _program(containers: int, function=_never_called) -> SimpleNamespace:
    return SimpleNamespace(function=function, plan=SimpleNamespace(nodes=range(containers)))


def test_a_small_run_of_a_new_program_is_interpreted_and_a_large_one_compiled():
    small = tiers.choose(_program(6), n_symbols=1, n_steps=5_031, complete=True)
    assert small.engine == "reference" and "not compiled yet" in small.reason
    assert tiers.choose(_program(6), n_symbols=1, n_steps=1_000_000, complete=True).engine == "compiled"
    assert tiers.choose(_program(6), n_symbols=100, n_steps=100_000, complete=True).engine == "compiled"
    assert tiers.choose(_program(36), n_symbols=1, n_steps=5_031, complete=True).engine == "reference"  # ~17 s


def test_a_compiled_program_answers_the_data_it_was_compiled_for():
    _never_called(1.0, 1.0, 1.0, 1.0, 1.0, None)  # compiled for complete data (`present` None)
    assert tiers.choose(_program(6), n_symbols=1, n_steps=10, complete=True).engine == "compiled"
    other = tiers.choose(_program(6), n_symbols=1, n_steps=5_031, complete=False)  # missing bars: another compile
    assert other.engine == "reference" and not other.cached


def test_numba_cache_entries_are_told_apart_by_the_presence_form():
    _cached_for_complete_data(1.0, 1.0, 1.0, 1.0, 1.0, None)
    assert on_disk(_cached_for_complete_data) and on_disk(_cached_for_complete_data, presence_form(True))
    assert not on_disk(_cached_for_complete_data, presence_form(False))
    assert not in_process(_cached_for_complete_data, presence_form(False))


def test_machine_code_costs_nothing_once_loaded_and_a_compile_when_nowhere():
    assert tiers.compile_seconds(6) < tiers.compile_seconds(12)
    _never_called(1.0, 1.0, 1.0, 1.0, 1.0, None)
    assert tiers.machine_code_seconds(_never_called, 9.0) == 0.0  # called: in this process

    @njit
    def fresh(x):
        return x

    assert tiers.machine_code_seconds(fresh, 9.0) >= 9.0


def _run(env: dict[str, str], *argv: str) -> tuple[dict, str]:
    done = subprocess.run([sys.executable, "-m", "flowc.tools", "run", str(EXAMPLES / "simple_backtest.flow"),
                           "--json", "-v", *argv], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    metrics.pop("timings")
    return metrics, done.stderr


def test_a_new_topology_answers_from_the_reference_then_runs_compiled(tmp_path):
    """Fresh caches: the first run interprets and starts a child, which fills numba's cache for the next run."""
    env = {**os.environ, "FLOWC_CACHE_DIR": str(tmp_path / "flowc"), "NUMBA_CACHE_DIR": str(tmp_path / "numba"),
           tiers.BACKGROUND: "1"}
    first, said = _run(env)
    assert "engine: reference" in said and "compiling it in the background" in said
    assert "kernels interpreted" in said
    programs = tmp_path / "flowc" / "programs"
    deadline = time.monotonic() + 240
    while any(programs.glob("*.compiling")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(programs.glob("*.compiling")), "the background compile did not finish"
    cached = {path.name.split("-")[0] for path in (tmp_path / "numba").rglob("*.nbi")}
    assert {"metrics.ledger_metrics_nb", "trades.trades_nb"} <= cached
    assert any(name.startswith("flowc_") and name.endswith(".program") for name in cached)
    second, said = _run(env)  # the machine code is cached now
    assert "its program is compiled" in said and "compiling it in the background" not in said
    compiled, said = _run(env, "--engine", "compiled")
    assert second == first == compiled
    # the background compiled the program the run uses: for the sample's one symbol, its own (`codegen.one_symbol`)
    assert "machine code: loaded from numba's cache: the program specialised for one symbol" in said
    forced, said = _run({**env, tiers.BACKGROUND: "0"}, "--engine", "reference")
    assert forced == first and "engine: reference (as asked)" in said


def test_a_background_compile_that_cannot_start_leaves_nothing_behind(tmp_path, monkeypatch):
    """A read-only cache or no process to spare: the run goes on, without a lock left to block the next one."""
    monkeypatch.setenv(tiers.BACKGROUND, "1")
    monkeypatch.setattr(tiers, "user_cache_dir", lambda: tmp_path)

    def refuse(*args, **kwargs):
        raise OSError("no process to spare")

    monkeypatch.setattr(tiers.subprocess, "Popen", refuse)
    program = SimpleNamespace(key="k", plan=None)
    assert tiers.compile_later(program, None, None, None, None, {}, True) is False
    assert not any((tmp_path / "programs").glob("*.compiling"))
