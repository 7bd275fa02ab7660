"""The cross-sectional operators (docs/semantics.md, section 5a): numba kernels, the reference, plain Python.

Each holds one step's values of every symbol, NaN where a symbol does not take part.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowc.runtime.kernels import cross_section as kernels
from flowc.runtime.reference.cross_section import cross_section

NAN = math.nan
OPS = ("cs_rank", "cs_zscore", "demean", "cs_weight", "top", "bottom")


def compiled(op: str, values: list[float], n: int = 0) -> list[float]:
    out = np.full(len(values), -7.0)
    getattr(kernels, f"{op}_nb")(np.array(values, dtype=np.float64), n, out)
    return out.tolist()


def same(a: list[float], b: list[float]) -> bool:
    return all((x != x and y != y) or (x == y and math.copysign(1, x) == math.copysign(1, y))
               for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("op, values, n, expected", [
    ("cs_rank", [3.0, NAN, 1.0, 3.0, 2.0], 0, [1.0, NAN, 0.25, 1.0, 0.5]),  # ties count as at or below
    ("top", [3.0, NAN, 1.0, 3.0, 2.0], 2, [1.0, NAN, 0.0, 1.0, 0.0]),
    ("top", [3.0, NAN, 1.0, 3.0, 2.0], 1, [1.0, NAN, 0.0, 0.0, 0.0]),  # a tie: the earlier symbol first
    ("bottom", [2.0, 1.0, 1.0, NAN], 1, [0.0, 1.0, 0.0, NAN]),
    ("top", [1.0, 2.0], 5, [1.0, 1.0]),  # n above the count: every symbol taking part
    ("top", [1.0, 2.0], 0, [0.0, 0.0]),
    ("demean", [1.0, NAN, 2.0, 6.0], 0, [-2.0, NAN, -1.0, 3.0]),
    ("cs_zscore", [1.0, NAN, 2.0, 6.0], 0, [-2.0 / math.sqrt(7.0), NAN, -1.0 / math.sqrt(7.0), 3.0 / math.sqrt(7.0)]),
    ("cs_zscore", [5.0, NAN], 0, [NAN, NAN]),  # one symbol: no deviation
    ("cs_zscore", [5.0, 5.0], 0, [NAN, NAN]),  # no spread
    ("cs_weight", [1.0, -3.0, NAN], 0, [0.25, -0.75, NAN]),
    ("cs_weight", [0.0, 0.0], 0, [NAN, NAN]),
    ("cs_rank", [NAN, NAN], 0, [NAN, NAN]),
    ("top", [0.0, -0.0, NAN], 1, [1.0, 0.0, NAN]),  # -0.0 == 0.0: a tie
    ("bottom", [0.0, -0.0], 1, [1.0, 0.0]),
    ("cs_rank", [math.inf, 1.0, -math.inf], 0, [1.0, 2 / 3, 1 / 3]),
])
def test_definitions(op, values, n, expected):
    assert same(cross_section(op, values, n), expected)
    assert same(compiled(op, values, n), expected)


def plain(op: str, values: list[float], n: int) -> list[float]:
    """The definitions once more, written apart from both engines."""
    taking = [v for v in values if not math.isnan(v)]
    out = []
    order = sorted((i for i, v in enumerate(values) if not math.isnan(v)),
                   key=lambda i: (-values[i] if op == "top" else values[i], i))
    for i, v in enumerate(values):
        if math.isnan(v):
            out.append(NAN)
        elif op == "cs_rank":
            out.append(len([w for w in taking if w <= v]) / len(taking))
        elif op in ("top", "bottom"):
            out.append(1.0 if order.index(i) < n else 0.0)
        else:
            mean = math.fsum(taking) / len(taking)
            if op == "demean":
                out.append(v - mean)
            elif op == "cs_weight":
                total = math.fsum(abs(w) for w in taking)
                out.append(v / total if total else NAN)  # undefined where every value is 0
            else:
                sd = math.sqrt(math.fsum((w - mean) ** 2 for w in taking) / (len(taking) - 1))
                out.append((v - mean) / sd if sd else NAN)  # undefined where every value is the same
    return out


@settings(max_examples=200, deadline=None)
@given(op=st.sampled_from(OPS), n=st.integers(-1, 8),
       values=st.lists(st.one_of(st.just(NAN), st.integers(-3, 3).map(float), st.sampled_from([-0.0, math.inf]),
                                 st.floats(-1e3, 1e3, allow_nan=False)), min_size=0, max_size=12))
def test_the_engines_agree_and_match_plain_python(op, n, values):
    reference = cross_section(op, values, n)
    assert same(compiled(op, values, n), reference)  # bit for bit
    taking = [v for v in values if v == v]
    if math.inf in taking and op not in ("cs_rank", "top", "bottom"):
        return  # inf - inf: both engines give the same NaN, checked above
    if op == "cs_zscore" and (len(taking) < 2 or len(set(taking)) == 1):
        return  # undefined; the table above has it
    if op == "cs_weight" and not any(taking):
        return
    expected = plain(op, values, n)
    assert all((x != x and y != y) or math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)
               for x, y in zip(reference, expected, strict=True))


def _ranked_before(values, s, sign):
    """The symbols ranked before `s` by the definition: better, or as good and earlier."""
    x = values[s]
    return sum(1 for j, y in enumerate(values) if sign * y > sign * x or (y == x and j < s))


@pytest.mark.parametrize("symbols", [7, 90, 200])
def test_top_and_bottom_keep_the_definition_on_both_paths(symbols):
    """`top`/`bottom` keep the best in order below `SORT_FROM` and sort from it: both are the count of
    the symbols ranked before each, with ties, signed zeros and undefined values."""
    from flowc.runtime.kernels.cross_section import SORT_FROM, bottom_nb, top_nb

    rng = np.random.default_rng(symbols)
    for trial in range(60):
        values = rng.choice([0.0, -0.0, 1.0, 2.0, -1.5], size=symbols) if trial % 2 else rng.normal(size=symbols)
        values[rng.random(symbols) < 0.1] = np.nan
        for n in (0, 1, 5, SORT_FROM - 1, SORT_FROM, symbols, symbols + 2):
            for kernel, sign in ((top_nb, 1.0), (bottom_nb, -1.0)):
                out = np.empty(symbols)
                kernel(values, n, out)
                expected = [math.nan if x != x else 1.0 if _ranked_before(values, s, sign) < n else 0.0
                            for s, x in enumerate(values)]
                np.testing.assert_array_equal(out, expected)
