"""The language server of `.flow` files (`flowc lsp`): the compiler's passes behind the Language Server Protocol.

Nothing here parses on its own: `chunks` runs the one parser over each top-level
declaration, `snapshot` loads imports and analyses through the compiler, and each
feature (diagnostics, hover, navigation, completion, symbols, formatting, code
actions) is a module that turns a snapshot into protocol values. Only `server`
knows pygls; the feature modules use lsprotocol's types, so they are testable
without a running server. Nothing here imports numba or pandas.
"""
