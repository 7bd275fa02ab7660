"""`python -m flowc.runtime` is the `flowc` command."""

from flowc.runtime.cli import entry

entry()
