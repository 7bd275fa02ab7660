"""A sweep's size is counted without building it, and a sweep over the limit is refused (issue 19, item 17).

`range(1, 100000000)` took 165 s and 4 GB at lint time; from 1e9 it was a traceback. Now a range
is counted in O(1), and lint says FL509 with the number of points at once.
"""

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowc.compiler.workflow import MAX_SWEEP_POINTS, size
from flowc.tools.cli import main
from tests.sweep.flows import flow_file


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stop=st.integers(MAX_SWEEP_POINTS + 2, 10**30), step=st.integers(1, 3))
def test_a_huge_range_is_refused_with_its_size_at_once(tmp_path_factory, capsys, stop, step):
    flow = flow_file(tmp_path_factory.mktemp("s"), f"sweep fast in range(1, {stop * step}, {step})")
    begun = time.perf_counter()
    assert main(["lint", str(flow)]) == 1
    assert time.perf_counter() - begun < 5
    shown = capsys.readouterr()
    out = shown.out + shown.err
    assert "FL509" in out and f"{size(range(1, stop * step, step)):,} values" in out
    assert f"at most {MAX_SWEEP_POINTS:,} points" in out and "Traceback" not in out


def test_the_limit_counts_all_sweeps_together(tmp_path, capsys):
    flow = flow_file(tmp_path, "sweep fast in range(1, 1001)\nsweep slow in range(1, 1001)")
    assert main(["lint", str(flow)]) == 1
    shown = capsys.readouterr().out
    assert "`sweep slow`: 1,000 values, 1,000,000 points with the sweeps before it" in shown


def test_a_range_within_the_limit_is_fine(tmp_path, capsys):
    flow = flow_file(tmp_path, "sweep fast in range(2, 20, 3)\nsweep slow in range(30, 50)")
    assert main(["lint", str(flow)]) == 0
