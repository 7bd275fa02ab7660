"""FL618: units a risk container sent that never filled, counted in a `book = orders` (runtime/unfilled_book.py).

Hand cases from `test_orders` and `test_participation` (bars `(open, high, low, close, signal)`),
run on the reference engine; the warning names the container and counts each kind of loss.
"""

from __future__ import annotations

from flowc.compiler.workflow import analyse
from flowc.dsl.loader import load_text
from flowc.runtime.reference import run_reference
from flowc.runtime.unfilled_book import unfilled_in_book

from .test_exits import bars
from .test_orders import CASES, limit
from .test_participation import RISING, capped


def warned(text: str, rows) -> list[str]:
    analysis = analyse(load_text(text, "test.flow"))
    return [d.message for d in unfilled_in_book(analysis, run_reference(analysis, bars(*rows)))]


def test_an_expired_entry_in_a_book_of_orders_is_warned():
    entry, extra, fill, rows = CASES["expired"]
    assert warned(limit(entry, extra, fill), rows) == [
        "`risk` counts in its book 10 units it sent that never filled (1 expired), and sizes its later orders "
        "against them"]


def test_a_dropped_rest_is_warned_and_a_kept_one_is_not():
    (message,) = warned(capped("size = fixed(10)", "max_participation = 50; rest = drop"), RISING)
    assert "6 units" in message and "(1 capped)" in message
    assert warned(capped("size = fixed(10)", "max_participation = 50"), RISING) == []


def test_books_made_of_the_position_are_quiet():
    entry, extra, fill, rows = CASES["expired"]
    for book in ("position", "committed"):
        assert warned(limit(entry, f"{extra}; book = {book}" if extra else f"book = {book}", fill), rows) == []
