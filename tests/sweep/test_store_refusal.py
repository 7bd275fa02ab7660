"""A `sweep.jsonl` that is not this sweep's is refused before anything in it changes (issue 19, item 25).

It used to be truncated to its last newline (through a symlink, too) and only then refused.
"""

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowc.runtime.sweep.store import FILE, Store, StoreMismatch
from flowc.tools.cli import main
from tests.sweep.flows import flow_file


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(min_size=1, max_size=200) | st.builds(
    lambda rows, tail: (json.dumps({"flowc_sweep": 1, "signature": "theirs"}) + "\n" + rows).encode() + tail,
    st.text(max_size=50), st.binary(max_size=20)))
def test_a_foreign_store_is_refused_untouched(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("out")
    (folder / FILE).write_bytes(data)
    with pytest.raises(StoreMismatch):
        Store.open(folder, "mine")
    assert (folder / FILE).read_bytes() == data
    assert sorted(p.name for p in folder.iterdir()) == [FILE]


def test_a_symlinked_store_is_never_followed(tmp_path):
    elsewhere = tmp_path / "precious.txt"
    elsewhere.write_bytes(b"line one\nno newline at the end")
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(elsewhere, out / FILE)
    with pytest.raises(StoreMismatch, match="not a regular file"):
        Store.open(out, "mine")
    assert elsewhere.read_bytes() == b"line one\nno newline at the end"


def test_the_own_store_still_drops_a_cut_line(tmp_path):
    with Store.open(tmp_path, "mine") as store:
        store.add([{"key": "a", "status": "ok"}])
    with open(tmp_path / FILE, "ab") as f:
        f.write(b'{"key": "b", "sta')
    with Store.open(tmp_path, "mine") as store:
        assert set(store.rows) == {"a"}
    assert (tmp_path / FILE).read_bytes().endswith(b'"ok"}\n')


def test_run_refuses_a_foreign_store_untouched(tmp_path, capsys):
    flow = flow_file(tmp_path, "sweep fast in [5, 10]")
    out = tmp_path / "out"
    out.mkdir()
    (out / FILE).write_bytes(b"my notes\nnot a sweep")
    assert main(["run", str(flow), "--quiet", "--executor", "inline", "--out", str(out)]) == 2
    assert "not a flowc sweep store" in capsys.readouterr().err
    assert (out / FILE).read_bytes() == b"my notes\nnot a sweep"
