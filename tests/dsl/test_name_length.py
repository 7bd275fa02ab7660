"""Names have at most MAX_NAME characters (issue 19, item 23): longer ones are FL111 where they stand.

Names of 3,000+ characters used to lint clean and then fail inside LLVM.
"""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from flowc.dsl.loader import load_text
from flowc.dsl.parser import MAX_NAME
from tests.conftest import EXAMPLES

TEXT = (EXAMPLES / "simple_backtest.flow").read_text()


@settings(max_examples=25, deadline=None)
@given(length=st.integers(1, 5000), which=st.sampled_from(["fast_ma", "features", "simple_backtest", "fast"]))
def test_a_name_over_the_limit_is_fl111(length, which):
    name = ("n" * length)[:length]
    sources = load_text(re.sub(rf"\b{which}\b", name, TEXT), "long.flow")  # whole names: not `fast` of `fast_ma`
    codes = [d.code for d in sources.diagnostics]
    if length > MAX_NAME:
        [d] = sources.diagnostics
        assert d.code == "FL111" and f"a name of {length:,} characters" in d.message
        assert d.span.end_column - d.span.column == length
    else:
        assert "FL111" not in codes
