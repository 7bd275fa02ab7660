"""`flowc lsp` starts without numba, and says what to install when pygls is missing."""

import subprocess
import sys

import pytest

pytest.importorskip("pygls")

HEAVY = ("numba", "pandas")


def test_the_server_imports_neither_numba_nor_pandas():
    code = ("import sys\nfrom flowc.tools.lsp.server import build_server\nimport flowc.tools.commands.lsp\n"
            "from flowc.tools.lsp import completion, context, hover, index, navigation, symbols\n"
            f"build_server()\nprint(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_without_pygls_the_command_says_what_to_install():
    code = ("import sys\nsys.modules['pygls'] = None\nsys.modules['pygls.lsp'] = None\n"
            "sys.modules['pygls.lsp.server'] = None\n"
            "from flowc.tools.cli import main\nsys.exit(main(['lsp']))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 2
    assert "pip install 'flowc[lsp]'" in out.stderr
