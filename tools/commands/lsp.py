"""`flowc lsp`: the language server over stdio, for editors (see docs/editors.md).

pygls is an optional extra (`pip install 'flowc[lsp]'`); without it the command
says so and exits 2. The server imports neither numba nor pandas.
"""

from __future__ import annotations

import argparse
import sys

from flowc.tools.exit_codes import EXIT_OK, EXIT_USAGE


def run_lsp(args: argparse.Namespace) -> int:
    try:
        from flowc.tools.lsp.server import serve
    except ImportError as exc:
        if exc.name not in ("pygls", "lsprotocol") and not str(exc.name or "").startswith(("pygls.", "lsprotocol.")):
            raise
        sys.stderr.write("flowc lsp: the language server needs pygls; install it with `pip install 'flowc[lsp]'`\n")
        return EXIT_USAGE
    from flowc.dsl.version import version

    serve(version())
    return EXIT_OK
