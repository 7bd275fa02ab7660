"""The exit codes of every `flowc` command, defined once.

Commands return one of these from their `run_*` function and `flowc.tools.cli` hands it to the
process. What counts as "errors in the input" is each command's: diagnostics with an error
(lint, compile, run, patterns), a file `fmt --check` would change, a sweep point that failed, a
`run --reproduce` whose results or inputs differ.
"""

from __future__ import annotations

EXIT_OK = 0  # done; warnings allowed
EXIT_ERRORS = 1  # errors in the input (see above)
EXIT_USAGE = 2  # a usage or I/O problem: an unknown option value, a file that cannot be read or written
EXIT_INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as shells report it
