"""The fuzz target of the command line (issue 19): mutated examples through lint, fmt and compile, in-process.

Hypothesis edits the examples token by token (tests/dsl/test_robustness.py's `edited_example`)
and also splices in what the probe found harmful: devices and FIFOs as imports or data, huge
sweeps, numbers that overflow a float, names thousands of characters long. Each mutant goes
through `flowc lint`, `flowc fmt --check` and `flowc compile --emit plan` (no numba): every one
must end with exit 0, 1 or 2, print no traceback, and return within its time budget (SIGALRM).
"""

from __future__ import annotations

import io
import re
import signal
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowc.tools.cli import main
from tests.dsl.test_robustness import EXAMPLES, edited_example

BUDGET = 20  # seconds for one command on one mutant; the slowest takes well under one
HARMFUL = [
    'import "/dev/zero"\n', 'import "/dev/urandom"\n', 'import "/dev/stdin"\n', 'import "/etc/passwd"\n',
    'import "."\n', "param huge: float = 1e309\n", "param neg: float = -1e309\n",
    "param " + "n" * 3000 + ": int = 1\n", 'param p: int = 1\n',
]
SPLICES = [
    ("range(20, 100, 10)", "range(1, 1000000000000)"), ("[5, 10, 20]", "range(0, 10000000, 1)"),
    ('sample("sp500", symbol = "SPX")', 'csv("/dev/zero", symbol = "SPX")'),
    ("1_000_000", "1e309"), ("fast", "f" * 3000), ("cash = ", "cash = -"),
]


@st.composite
def mutant(draw: st.DrawFn) -> str:
    text = draw(edited_example())
    if draw(st.booleans()):
        text = draw(st.sampled_from(HARMFUL)) + text
    if draw(st.booleans()):
        old, new = draw(st.sampled_from(SPLICES))
        text = text.replace(old, new)
    return text


class _Hung(Exception):
    pass


def _alarm(signum, frame):
    raise _Hung


def _run(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(BUDGET)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(argv)
    except _Hung:
        pytest.fail(f"flowc {' '.join(argv)} did not return within {BUDGET}s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return code, out.getvalue() + err.getvalue()


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="uses SIGALRM for the time budget")
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=mutant())
def test_lint_fmt_and_compile_of_mutants_end_in_an_exit_code(text: str, tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    for name, body in EXAMPLES.items():  # imports between examples still resolve
        (folder / name).write_text(body, encoding="utf-8")
    path = folder / "fuzz.flow"
    path.write_text(text, encoding="utf-8", newline="")
    for argv in (["lint", str(path)], ["fmt", "--check", str(path)], ["compile", str(path), "--emit", "plan"]):
        code, shown = _run(argv)
        assert code in (0, 1, 2), (argv, code, shown)
        assert "Traceback" not in shown, shown
    assert sys.getrecursionlimit() < 100_000  # nothing raised it for good


def test_the_harmful_splices_are_diagnostics(tmp_path: Path) -> None:
    """Each harmful line alone, prefixed to a good example: exit 1 (or 0) with a diagnostic, promptly."""
    (tmp_path / "simple_backtest.flow").write_text(EXAMPLES["simple_backtest.flow"])
    for line in HARMFUL:
        path = tmp_path / "one.flow"
        path.write_text(line + EXAMPLES["simple_backtest.flow"])
        code, shown = _run(["lint", str(path)])
        assert code in (0, 1) and "Traceback" not in shown, (line, shown)
        assert code == 0 or re.search(r"FL\d{3}", shown), (line, shown)
