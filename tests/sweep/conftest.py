"""Shared fixtures of the sweep tests: sma_grid prepared once per module, and its reference results."""

from __future__ import annotations

import pytest

from flowc.runtime.manager import prepare
from flowc.runtime.sweep.grid import grid
from flowc.tools.commands.run import run_once
from tests.conftest import EXAMPLES

SMA_GRID = EXAMPLES / "sma_grid.flow"


@pytest.fixture(scope="module")
def sma_grid():
    return prepare(SMA_GRID)


@pytest.fixture(scope="module")
def expected(sma_grid):
    """Every point of sma_grid run one by one (run_once): {(fast, slow): metrics}."""
    return {(v["fast"], v["slow"]): run_once(sma_grid, v).metrics for v in grid(sma_grid.analysis.sweeps)}
