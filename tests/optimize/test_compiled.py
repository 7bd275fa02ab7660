"""The optimised plan, compiled by numba, against the reference engine (which never sees a plan).

The interpreted runs of `test_passes` and `test_random_topologies` execute the very source
numba compiles; this checks the compiled path once, on the topology where every pass acts.
"""

from __future__ import annotations

import pytest

from flowc.runtime.manager import run_prepared
from flowc.runtime.reference import run_reference

from .helpers import prepared, random_market, raw_plan
from .test_passes import ALL


@pytest.mark.slow
def test_optimised_program_matches_the_reference(tmp_path):
    p = prepared(tmp_path, ALL)
    assert p.plan.structure() != raw_plan(p).structure()
    for seed, holes in ((0, 0.0), (1, 0.2)):
        p.market = random_market(p.market.symbols, 200, seed, holes)
        compiled = run_prepared(p)
        reference = run_reference(p.analysis, p.market, list(p.params()))
        assert compiled.same_as(reference)
        assert len(compiled.fills) > 0
