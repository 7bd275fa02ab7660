"""The plan and the generated program of every example equal their golden files (see `tests/golden.py`).

A failure shows the diff; if the change is meant, regenerate every golden file with

    python -m tests.golden --update

and commit them with the change, so the reviewer sees what it does to the program.
"""

from __future__ import annotations

import pytest

from tests.golden import COMMAND, GOLDEN, artifacts, stale

EXPECTED = artifacts()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_golden_file(name):
    path = GOLDEN / name
    assert path.exists(), f"no golden file {name}; run `{COMMAND}`"
    assert path.read_text(encoding="utf-8") == EXPECTED[name], f"{name} differs; if that is meant, run `{COMMAND}`"


def test_no_golden_file_is_left_over():
    extra = [name for name, note in stale(EXPECTED).items() if name not in EXPECTED]
    assert not extra, f"golden files no example gives: {extra}; run `{COMMAND}`"
