"""The contract of a generated program: typed buffer shapes, resolved against a run's sizes and params."""

from __future__ import annotations

import numpy as np

from flowc.compiler.codegen import EMITTERS, Buffer, Capacity, Fields, Sizes, StateSize, Steps, Symbols
from flowc.compiler.plan import SERIES_ROLES

SIZES = Sizes(steps=100, symbols=3, portfolios=2, capacity={"orders": 16, "fills": 32})


def test_each_dimension_resolves_against_the_run():
    params = np.array([7.0, 2.0])
    assert Buffer("out", (Steps(), Symbols(), Fields(4)), "f8").resolve(SIZES, params) == (100, 3, 4)
    assert Buffer("st", (Symbols(), StateSize(0, 3)), "f8").resolve(SIZES, params) == (3, 10)
    assert Buffer("st", (Symbols(), StateSize(None, 5)), "f8").resolve(SIZES, params) == (3, 5)
    assert Buffer("fills", (Capacity("fills"), Fields(7)), "f8").resolve(SIZES, params) == (32, 7)


def test_a_state_sized_by_a_param_is_never_negative_and_is_the_only_param_shaped_buffer():
    sized = Buffer("st", (Symbols(), StateSize(0, -3)), "f8")
    assert sized.resolve(SIZES, np.array([1.0])) == (3, 0)
    assert sized.param_shaped
    assert not Buffer("st", (Symbols(), StateSize(None, 5)), "f8").param_shaped
    assert not Buffer("out", (Steps(), Symbols()), "f8").param_shaped


def test_only_a_hoisted_output_over_the_steps_may_hold_one_tile():
    assert Buffer("out", (Steps(), Symbols()), "f8", prefix=True).tiled
    assert not Buffer("out", (Steps(), Symbols()), "f8").tiled
    assert not Buffer("st", (Symbols(), StateSize(None, 1)), "f8", prefix=True).tiled


def test_every_role_of_the_step_loop_and_of_the_prefix_has_an_emitter():
    assert set(EMITTERS) == {*SERIES_ROLES, "risk", "execution", "portfolio"}
