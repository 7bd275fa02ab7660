"""Diagnostics about a data file quote it only by line and column, and at most its offending cell (item 20).

A `.flow` file can name any file its user can read (`csv("/etc/shadow")`); what flowc prints
about it must not carry the file's content: no header line, no parser excerpt, and an offending
cell cut at 32 characters.
"""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowc.dsl.diagnostics import FlowError
from flowc.runtime.data import load_source

SECRET = "s3cr3t-" + "x" * 30 + "-TAIL-9f8e7d"  # longer than any quoted cell
text = st.text(string.ascii_letters + string.digits + ":$/.,;\"' -", max_size=30)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.tuples(text, text), min_size=1, max_size=5), where=st.integers(0, 4),
       header=st.sampled_from(["", "timestamp,open,high,low,close,volume\n", "timestamp,close\n"]))
def test_no_diagnostic_quotes_the_content_of_a_data_file(tmp_path_factory, lines, where, header):
    body = [f"{a}{SECRET if i == where % len(lines) else ''}{b}" for i, (a, b) in enumerate(lines)]
    path = tmp_path_factory.mktemp("d") / "secret.csv"
    path.write_text(header + "\n".join(body) + "\n")
    try:
        load_source("csv", {"path": str(path)}, base_dir=path.parent)
    except FlowError as exc:
        for d in exc.diagnostics:
            shown = f"{d.message} {d.hint or ''}"
            assert SECRET[:33] not in shown and "TAIL" not in shown, shown


def test_a_password_file_is_not_quoted(tmp_path):
    path = tmp_path / "passwd"
    path.write_text("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n")
    try:
        load_source("csv", {"path": str(path)}, base_dir=tmp_path)
    except FlowError as exc:
        [d] = exc.diagnostics
        assert d.code == "FL602" and "x:0:0" not in d.message and "1 column whose name is not shown" in d.message
    else:
        raise AssertionError("read as data")


def test_a_long_bad_cell_is_cut(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(f"timestamp,open,high,low,close,volume\n2020-01-01,1,2,1,{SECRET},1\n")
    try:
        load_source("csv", {"path": str(path)}, base_dir=tmp_path)
    except FlowError as exc:
        [d] = exc.diagnostics
        assert "line 2, column `close`: `s3cr3t-xxxxxxxxxxxxxxxxxxxxxxxx…` is not a number" in d.message
