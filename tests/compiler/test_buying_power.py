"""The settings of buying power (docs/semantics.md, sections 6 and 8) and their diagnostics."""

import pytest

from flowc.compiler.workflow import analyse
from flowc.dsl.loader import load_text
from tests.conftest import EXAMPLES

TEXT = (EXAMPLES / "rotation_cash.flow").read_text()


def diagnostics(text: str) -> list[tuple[str, str]]:
    analysis = analyse(load_text(text, "v.flow"), None, ())
    return [(d.code, d.message) for d in analysis.diagnostics if d.severity.value == "error"]


def test_the_example_binds_both_settings():
    analysis = analyse(load_text(TEXT, "v.flow"), None, ())
    configs = {path.rsplit(".", 1)[-1]: c.config for path, c in analysis.binding.containers.items()}
    assert configs["portfolio"].buying_power == "cut"
    assert configs["risk"].book == "position"


@pytest.mark.parametrize("old, new, what", [
    ("buying_power = cut", "buying_power = maybe", "`buying_power` must be one of none, cut, reject"),
    ("book      = position", "book = positions", "`book` must be one of orders, position"),
])
def test_an_unknown_rule_is_fl509(old, new, what):
    assert old in TEXT
    [(code, message)] = diagnostics(TEXT.replace(old, new))
    assert code == "FL509" and message.startswith(what)


def test_book_position_needs_a_portfolio_route():
    text = TEXT.replace("    feedback portfolio -> risk : PORTFOLIO\n", "")
    [(code, message)] = diagnostics(text)
    assert code == "FL209" and "no route delivers PORTFOLIO to `risk`" in message


@pytest.mark.parametrize("rule", ["none", "cut", "reject", '"reject"'])
def test_every_rule_binds(rule):
    assert diagnostics(TEXT.replace("buying_power = cut", f"buying_power = {rule}")) == []
