"""The front end of flowc: text to AST, imports, diagnostics and the formatter."""
