"""What the post-lexer knew when the parser stopped: the open blocks and brackets, the statement so far.

The post-lexer in `parser.py` keeps this state as it hands tokens to the parser, so that a
syntax error can say which block or bracket is still open and what the statement looked like.
It lives apart from the messages because the parser builds it on every parse and the language
server reads its keyword sets; neither needs the rest of the package.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lark import Token

# The spec's keywords, plus `walk_forward`. A keyword is a keyword only where the grammar expects it.
KEYWORDS = frozenset({
    "import", "param", "event", "role", "consumes", "produces", "containers", "communication", "workflow",
    "pipeline", "broadcast", "route", "selective", "hierarchical", "feedback", "sweep", "in", "when", "else",
    "and", "or", "not", "true", "false", "walk_forward",
})
DECLARATIONS = ("import", "param", "event", "role", "containers", "communication", "workflow")
ADAPTERS = ("pipeline", "broadcast", "route", "selective", "hierarchical", "feedback")
WORKFLOW_STATEMENTS = ("sweep", "walk_forward")


@dataclass(frozen=True)
class OpenBlock:
    """A `{` not yet closed, and the construct it opened (for 'expected `}` to close ...')."""

    token: Token
    kind: str  # "pattern", "container", "communication", "workflow", "event", "role", "selective", "block"
    what: str  # in words: "the container `data`"


@dataclass(frozen=True)
class LexContext:
    """The post-lexer's state just before the token the parser could not take."""

    blocks: tuple[OpenBlock, ...] = ()
    brackets: tuple[Token, ...] = ()  # open `(` and `[`
    statement: tuple[Token, ...] = ()  # the tokens of the current statement so far
    previous: Token | None = None  # the token before the failing one


_DECLARATION_BLOCKS = {
    "CONTAINERS": ("pattern", "the container pattern"),
    "COMMUNICATION": ("communication", "the communication pattern"),
    "WORKFLOW": ("workflow", "the workflow"),
    "EVENT": ("event", "the event"),
    "ROLE": ("role", "the role"),
}


def open_block(brace: Token, statement: Sequence[Token]) -> OpenBlock:
    """Name the construct a `{` opens from the tokens of the statement before it."""
    kinds = [t.type for t in statement]
    if kinds[:2] == ["NAME", "COLON"] and len(kinds) >= 3:
        return OpenBlock(brace, "container", f"the container `{statement[0]}`")
    if kinds and kinds[0] in _DECLARATION_BLOCKS and len(kinds) > 1:
        kind, words = _DECLARATION_BLOCKS[kinds[0]]
        return OpenBlock(brace, kind, f"{words} `{statement[1]}`")
    if kinds[:1] == ["SELECTIVE"]:
        return OpenBlock(brace, "selective", "the cases of `selective`")
    return OpenBlock(brace, "block", "the block")


def is_keyword_token(token: Token) -> bool:
    """A token lexed as a keyword (not a name that happens to be spelt like one)."""
    return token.type not in ("NAME", "STRING") and str(token) in KEYWORDS
