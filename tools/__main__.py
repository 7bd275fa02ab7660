"""`python -m flowc.tools` is the `flowc` command."""

from flowc.tools.cli import entry

entry()
