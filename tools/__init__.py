"""The tools above the engine: the `flowc` command line and its commands, the Python API, the
language server, the reports, the run manifest and the sweep outputs.

This layer turns what a user asks into calls of `flowc.compiler.pipeline` and the runtime, and
their results into files, tables and messages. Nothing in `flowc.dsl`, `flowc.compiler` or
`flowc.runtime` imports from it (`tests/test_layers.py`).
"""
