"""The language server survives bad framing and oversized messages, and formats large files fast (item 24).

One `Content-Length: 1000000000000` header used to kill it; a body shorter than its header left it
deaf; formatting a 94k-line document took 113 s in a quadratic diff. Now an oversized message is
not read, the server falls back in step at the next header, and the edits come in linear time.
"""

import json
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from flowc.tools.lsp import formatting
from flowc.tools.lsp.formatting import changed_blocks
from tests.lsp.client import Client

TEXT = "param fast: int = 10\n"


def _raw(client: Client, data: bytes) -> None:
    client.process.stdin.write(data)
    client.process.stdin.flush()


def _still_answers(client: Client, uri: str) -> None:
    symbols = client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    assert [s["name"] for s in symbols] == ["fast"]
    assert client.process.poll() is None


def test_oversized_and_broken_messages_do_not_stop_the_server(tmp_path):
    client = Client(tmp_path)
    try:
        uri = (tmp_path / "a.flow").as_uri()
        client.open(uri, TEXT)
        _raw(client, b"Content-Length: 1000000000000\r\n\r\n")  # announced, never sent
        _still_answers(client, uri)
        body = json.dumps({"jsonrpc": "2.0", "method": "textDocument/hover"}).encode()
        _raw(client, b"Content-Length: %d\r\n\r\n%s" % (len(body) - 5, body))  # shorter than said
        _still_answers(client, uri)
        _raw(client, b"Content-Length: 4\r\n\r\n" + b"{" * 200_000 + b"\r\n")  # junk, then in step again
        _still_answers(client, uri)
        _raw(client, b"x" * 300_000)  # a header line without an end
        _still_answers(client, uri)
    finally:
        client.shutdown()


def test_formatting_edits_of_a_large_document_come_in_linear_time():
    old = [f"param p{i}:int=  {i}\n" if i % 2 else f"param p{i}: int = {i}\n" for i in range(60_000)]
    new = [f"param p{i}: int = {i}\n" for i in range(60_000)]
    begun = time.perf_counter()
    blocks = changed_blocks(old, new)
    assert time.perf_counter() - begun < 2.0  # difflib took minutes
    assert _apply(old, new, blocks) == new and len(blocks) == 30_000


def _apply(old, new, blocks):
    out, prev = [], 0
    for i1, i2, j1, j2 in blocks:
        out += old[prev:i1] + new[j1:j2]
        prev = i2
    return out + old[prev:]


@settings(max_examples=60, deadline=None)
@given(old=st.lists(st.sampled_from(["a\n", "b\n", "c\n", "d"]), max_size=30),
       new=st.lists(st.sampled_from(["a\n", "b\n", "c\n", "e\n"]), max_size=30),
       limit=st.sampled_from([0, 3, 2000]))
def test_the_blocks_turn_the_old_lines_into_the_new(old, new, limit):
    saved = formatting.DIFF_LINES
    formatting.DIFF_LINES = limit
    try:
        assert _apply(old, new, changed_blocks(old, new)) == new
    finally:
        formatting.DIFF_LINES = saved


def test_a_document_over_the_line_limit_is_not_analysed_and_blocks_nothing(tmp_path):
    from flowc.tools.lsp.server import MAX_LINES

    client = Client(tmp_path)
    try:
        big = (tmp_path / "big.flow").as_uri()
        small = (tmp_path / "a.flow").as_uri()
        client.open(big, "".join(f"param p{i}:int=  {i}\n" for i in range(MAX_LINES + 10)))
        client.open(small, TEXT)
        begun = time.perf_counter()
        [note] = client.diagnostics(big)
        assert f"more than {MAX_LINES:,} lines" in note["message"] and note["severity"] == 3
        assert client.request("textDocument/documentSymbol", {"textDocument": {"uri": big}}) == []
        assert client.request("textDocument/formatting", {"textDocument": {"uri": big},
                                                          "options": {"tabSize": 4, "insertSpaces": True}}) is None
        _still_answers(client, small)
        assert time.perf_counter() - begun < 5.0
    finally:
        client.shutdown()
