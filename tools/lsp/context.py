"""Where the cursor is, for completion: the blocks open around it and the statement typed so far.

Completion happens in text that does not parse yet (`size = ` has no value), so
this reads the cursor's top-level declaration up to the cursor with the lexical
rules of the spec only: strings and comments, brackets, `{ }` blocks, and
statements that end at a newline or `;` except inside brackets and after a
trailing `,` or `->`. It names each open block by the words before its `{`
(`features: feature` is a container of role `feature`), as the parser's
post-lexer does for its syntax errors. It is not a parser: it never decides
whether the text is valid, only what kind of word may come next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"?|#[^\n]*|->|=>|==|!=|<=|>=|[A-Za-z_][A-Za-z0-9_]*|[0-9][0-9_.eE]*'
                    r'|\r?\n|[^\s]')
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Block:
    kind: str  # containers container communication workflow event role selective other
    name: str = ""
    role: str = ""
    header: tuple[str, ...] = ()


@dataclass
class Context:
    blocks: list[Block] = field(default_factory=list)
    statement: list[str] = field(default_factory=list)  # the tokens of the statement before the cursor
    word: str = ""  # the part of a word the cursor is at the end of
    in_string: bool = False
    in_comment: bool = False

    @property
    def block(self) -> Block | None:
        return self.blocks[-1] if self.blocks else None

    def enclosing(self, kind: str) -> Block | None:
        return next((b for b in reversed(self.blocks) if b.kind == kind), None)


def context_at(text: str, start: int, cursor: int) -> Context:
    """The context at `cursor`, reading `text` from `start` (a line start outside every block)."""
    ctx = Context()
    brackets = 0
    statement: list[str] = []
    last_end = start
    last = ""
    for match in _TOKEN.finditer(text, start, cursor):
        token = match.group()
        last_end = match.end()
        if token.startswith("#"):
            ctx.in_comment = match.end() == cursor
            continue
        if token in ("\n", "\r\n", ";"):
            if brackets == 0 and statement and last not in (",", "->"):
                statement = []
            last = token
            continue
        last = token
        if token == "{":
            ctx.blocks.append(_block(statement))
            statement = []
        elif token == "}":
            if ctx.blocks:
                ctx.blocks.pop()
            statement = []
        else:
            if token in ("(", "["):
                brackets += 1
            elif token in (")", "]"):
                brackets = max(0, brackets - 1)
            statement.append(token)
    if statement and last_end == cursor:
        tail = statement[-1]
        if tail.startswith('"') and (len(tail) == 1 or not tail.endswith('"') or tail.endswith('\\"')):
            ctx.in_string = True
            ctx.word = tail[1:]
            statement = statement[:-1]
        elif _WORD.fullmatch(tail):
            ctx.word = tail
            statement = statement[:-1]
    ctx.statement = statement
    return ctx


def _block(statement: list[str]) -> Block:
    words = tuple(statement)
    if len(words) >= 2 and words[0] in ("containers", "communication", "workflow", "event", "role") \
            and _WORD.fullmatch(words[1]):
        return Block(words[0], words[1], header=words)
    if len(words) >= 3 and words[1] == ":" and _WORD.fullmatch(words[0]) and _WORD.fullmatch(words[2]):
        return Block("container", words[0], words[2], header=words)
    if words[:1] == ("selective",):
        return Block("selective", header=words)
    return Block("other", header=words)
