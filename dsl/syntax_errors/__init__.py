"""Syntax errors in words: lark's exceptions become one diagnostic that says what was expected.

A user should never have to know the grammar to read a syntax error. So the
expected tokens are named as a user names them (`an expression`, `a
declaration`, `)`), never as lark terminals (`RPAR`, `_NL`), and the common
mistakes get their own message, code and often a fix: a misspelt keyword, `=`
for `:`, `=>` for `->`, a block or bracket never closed (with a guess, from
the indentation, at which block really lacks its `}`), a stray `}` or `)`.

Two inputs make this possible. `exc.interactive_parser.accepts()` is the exact
set of tokens the LALR parser could take where it stopped (lark's
`expected` is sometimes the contextual lexer's set instead). `LexContext` is
what the post-lexer in `parser.py` knew just before the failing token: the
open blocks and brackets, and the tokens of the statement so far.

- `context`: `LexContext`, the open blocks and brackets, and the keyword sets.
- `describe`: the entry point, `describe_syntax_error`, which sorts lark's exception.
- `characters`: a character the lexer cannot take, a string never closed.
- `end_of_file`: the file ends too early.
- `checks`: the catalogue of common mistakes, one check each (`CHECKS`, in order).
- `generic`: the message when no check recognises the mistake.
- `expected`: the expected tokens in words.
- `nesting`: which brace or bracket is unbalanced, guessed from the indentation.
- `positions`: spans and `line:column`.
"""

from flowc.dsl.syntax_errors.checks import CHECKS, Check, glued_keyword
from flowc.dsl.syntax_errors.context import (
    ADAPTERS,
    DECLARATIONS,
    KEYWORDS,
    WORKFLOW_STATEMENTS,
    LexContext,
    OpenBlock,
    is_keyword_token,
    open_block,
)
from flowc.dsl.syntax_errors.describe import describe_syntax_error

__all__ = [
    "ADAPTERS",
    "CHECKS",
    "DECLARATIONS",
    "KEYWORDS",
    "WORKFLOW_STATEMENTS",
    "Check",
    "LexContext",
    "OpenBlock",
    "describe_syntax_error",
    "glued_keyword",
    "is_keyword_token",
    "open_block",
]
