"""One `flowc lsp` process per test module, driven over its stdio (skipped without pygls)."""

import pytest

pytest.importorskip("pygls")

from tests.lsp.client import Client


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("lsp")


@pytest.fixture(scope="module")
def client(workdir):
    c = Client(workdir)
    yield c
    c.shutdown()
