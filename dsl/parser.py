"""Text to AST: lark (LALR, contextual lexer) plus a post-lexer and one transformer.

The post-lexer implements the statement rules of the spec (newlines ignored
inside brackets and after `,` or `->`) and remembers which block each `{`
opened, so that syntax errors can say what was expected in words.
Syntax errors become diagnostics here; nothing downstream sees lark.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources

import lark
from lark import Token, Transformer, v_args

from flowc.dsl import ast
from flowc.dsl.cache import user_cache_dir
from flowc.dsl.diagnostics import Diagnostic, FlowError, diagnose
from flowc.dsl.source import SourceFile, Span
from flowc.dsl.syntax_errors import (
    LexContext,
    OpenBlock,
    describe_syntax_error,
    glued_keyword,
    is_keyword_token,
    open_block,
)

MAX_NESTING = 64  # brackets, blocks and runs of unary operators; deeper input is refused with FL109
MAX_OPERANDS = 1024  # operands of one chain of binary operators
MAX_NAME = 128  # characters of a name: names become identifiers of the generated program (FL111 beyond)
_LOCK = threading.Lock()  # the post-lexer keeps per-parse state
_UNARY = ("MINUS", "NOT")


class PostLexer:
    """Drops newlines where the spec ignores them and tracks open blocks and brackets.

    It also remembers its state just before the last token, so that a syntax error
    can be described from what the parser knew when it stopped (see `context_before`).
    """

    always_accept = ("_NL",)

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.blocks: tuple[OpenBlock, ...] = ()
        self.brackets: tuple[Token, ...] = ()
        self.statement: list[Token] = []  # tokens of the current statement, for context
        self.last: Token | None = None
        self._before: tuple = (None, (), (), [], None)  # (token, blocks, brackets, statement, last)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        self._reset()
        unary_run = 0
        for token in stream:
            kind = token.type
            last = self.last
            if kind == "_NL" and (self.brackets or last is None or last.type in ("_NL", "COMMA", "_ARROW")):
                continue
            if (last is not None and is_keyword_token(last) and token.start_pos == last.end_pos
                    and (str(token)[:1].isalnum() or str(token)[:1] == "_")):
                raise _GluedKeyword(last, token)  # `paramfast`: a contextual lexer splits it after `param`
            if kind == "NAME" and len(token) > MAX_NAME:
                raise _TooLong(token)
            self._before = (token, self.blocks, self.brackets, self.statement, last)
            if kind == "_NL":
                self.statement = []
            elif kind in ("LPAR", "LSQB"):
                self.brackets += (token,)
            elif kind in ("RPAR", "RSQB"):
                self.brackets = self.brackets[:-1]
            elif kind == "LBRACE":
                self.blocks += (open_block(token, self.statement),)
                self.statement = []
            elif kind == "RBRACE":
                self.blocks = self.blocks[:-1]
                self.statement = []
            else:
                self.statement.append(token)
            unary_run = unary_run + 1 if kind in _UNARY else 0
            if len(self.brackets) + len(self.blocks) > MAX_NESTING or unary_run > MAX_NESTING:
                raise _TooDeep(token)
            self.last = token
            yield token

    def context_before(self, token: Token | None) -> LexContext:
        """What was known just before `token`, whether or not the token already went through here."""
        seen, blocks, brackets, statement, last = self._before
        if token is None or seen is not token:
            blocks, brackets, statement, last = self.blocks, self.brackets, self.statement, self.last
        return LexContext(tuple(blocks), tuple(brackets), tuple(t for t in statement if t is not token), last)


class _TooDeep(Exception):
    def __init__(self, token: Token):
        self.token = token


class _TooLong(Exception):
    def __init__(self, token: Token):
        self.token = token


class _GluedKeyword(Exception):
    def __init__(self, keyword: Token, rest: Token):
        self.keyword, self.rest = keyword, rest


@lru_cache(maxsize=1)
def _lark() -> lark.Lark:
    grammar = resources.files("flowc.grammars").joinpath("flow.lark").read_text(encoding="utf-8")
    digest = hashlib.sha256(f"{lark.__version__}\n{grammar}".encode()).hexdigest()[:16]
    cache = user_cache_dir() / f"grammar-{digest}.lark"
    return lark.Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        postlex=PostLexer(),
        propagate_positions=True,
        maybe_placeholders=False,
        cache=str(cache),
    )


def parse(text: str | bytes, path: str = "<input>") -> ast.Module:
    """Parse one file. Raises FlowError with FL1xx diagnostics on malformed input."""
    if isinstance(text, bytes):
        text = decode(text, path)
    text = text.removeprefix("\ufeff")  # a byte-order mark, as `decode` drops it from bytes
    source = SourceFile(path, text)
    parser = _lark()
    postlex: PostLexer = parser.parser.lexer_conf.postlex  # type: ignore[attr-defined]
    with _LOCK:
        try:
            tree = parser.parse(text)
        except _TooDeep as exc:
            raise FlowError([_too_deep(source, exc.token)]) from None
        except _GluedKeyword as exc:
            raise FlowError([glued_keyword(source, exc.keyword, exc.rest)]) from None
        except _TooLong as exc:
            raise FlowError([diagnose("FL111", _token_span(source, exc.token), "use a shorter name",
                                      detail=f"a name of {len(exc.token):,} characters; names have at most "
                                             f"{MAX_NAME}")]) from None
        except lark.exceptions.UnexpectedInput as exc:
            context = postlex.context_before(getattr(exc, "token", None))
            raise FlowError([describe_syntax_error(source, exc, context)]) from None
    comments = _comments(source)
    try:
        return _ToAst(source, comments).transform(tree)
    except lark.exceptions.VisitError as exc:
        if isinstance(exc.orig_exc, FlowError):
            raise exc.orig_exc from None
        if isinstance(exc.orig_exc, RecursionError):
            raise FlowError([_too_deep_at(source.end_span)]) from None
        raise
    except RecursionError:
        raise FlowError([_too_deep_at(source.end_span)]) from None


def decode(data: bytes, path: str) -> str:
    """UTF-8 (with or without BOM); anything else is FL104 at the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        shown = data.decode("utf-8-sig", errors="replace")  # the text as an editor would show it
        offset = len(data[: exc.start].decode("utf-8-sig"))  # valid up to the bad byte
        source = SourceFile(path, shown)
        byte = f"0x{data[exc.start]:02x}"
        if exc.reason == "unexpected end of data":
            message = f"the file is not valid UTF-8: it ends in the middle of a character (byte {byte})"
        else:
            message = f"the file is not valid UTF-8: byte {byte} is not a valid character here"
        raise FlowError([diagnose(
            "FL104", source.span(offset, offset + 1),
            "save the file as UTF-8 (it looks like another encoding, such as Latin-1 or Windows-1252)",
            detail=message,
        )], {path: source}) from None


_STRING_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\["\\])*"|#[^\n]*')


def _comments(source: SourceFile) -> tuple[ast.Comment, ...]:
    """Comments, for the formatter: a scan that skips strings (the parser drops comments)."""
    return tuple(
        ast.Comment(text=match.group().rstrip(), span=source.span(match.start(), match.end()))
        for match in _STRING_OR_COMMENT.finditer(source.text)
        if match.group().startswith("#")
    )


def _too_deep(source: SourceFile, token: Token) -> Diagnostic:
    return _too_deep_at(_token_span(source, token))


def _too_deep_at(span: Span) -> Diagnostic:
    return diagnose("FL109", span, "split the expression into several settings",
                    detail=f"blocks or expressions are nested more than {MAX_NESTING} levels deep")


def _token_span(source: SourceFile, token: Token) -> Span:
    start = token.start_pos or 0
    end = token.end_pos if token.end_pos is not None else start + len(token)
    return source.span(start, end)


def _number(text: str) -> int | float:
    clean = text.replace("_", "")
    if any(c in clean for c in ".eE"):
        return float(clean)
    return int(clean)


def _unquote(token: str) -> str:
    return token[1:-1].replace('\\"', '"').replace("\\\\", "\\")


@v_args(meta=True)
class _ToAst(Transformer):
    """The one place where lark trees become AST nodes."""

    def __init__(self, source: SourceFile, comments: tuple[ast.Comment, ...]):
        super().__init__()
        self.source = source
        self.comments = comments

    def _span(self, meta) -> Span:
        if getattr(meta, "empty", True):
            return self.source.span(0, 0)
        return self.source.span(meta.start_pos, meta.end_pos)

    def _tok(self, token: Token) -> Span:
        return _token_span(self.source, token)

    def _ident(self, token: Token) -> ast.Ident:
        return ast.Ident(str(token), span=self._tok(token))

    # ---- top level ----

    def start(self, meta, decls):
        return ast.Module(self.source.path, tuple(decls), self.comments, span=self._span(meta))

    def import_decl(self, meta, children):
        return ast.Import(_unquote(children[0]), span=self._span(meta))

    def param_decl(self, meta, children):
        name, type_, *default = children
        return ast.Param(str(name), self._ident(type_), default[0] if default else None,
                         span=self._span(meta))

    def event_field(self, meta, children):
        name, type_ = children
        return ast.EventField(str(name), self._ident(type_), span=self._span(meta))

    def event_decl(self, meta, children):
        name, *fields = children
        return ast.EventDecl(str(name), tuple(fields), span=self._span(meta))

    def role_clause(self, meta, children):
        keyword, names = children
        return (str(keyword), names)

    def role_decl(self, meta, children):
        name, *clauses = children
        consumes = tuple(i for kind, names in clauses if kind == "consumes" for i in names)
        produces = tuple(i for kind, names in clauses if kind == "produces" for i in names)
        return ast.RoleDecl(str(name), consumes, produces, span=self._span(meta))

    def containers_decl(self, meta, children):
        name, items = children
        return ast.ContainersDecl(str(name), items, span=self._span(meta))

    def container(self, meta, children):
        name, role, items = children
        return ast.Container(str(name), self._ident(role), items, span=self._span(meta))

    def container_body(self, meta, items):
        return tuple(items)

    def setting(self, meta, children):
        name, value = children
        return ast.Setting(str(name), value, span=self._span(meta))

    def communication_decl(self, meta, children):
        name, *adapters = children
        return ast.CommunicationDecl(str(name), tuple(adapters), span=self._span(meta))

    def pipeline_stmt(self, meta, refs):
        return ast.Pipeline(tuple(refs), span=self._span(meta))

    def broadcast_stmt(self, meta, children):
        source, targets, events = children
        return ast.Broadcast(source, targets, events, span=self._span(meta))

    def route_stmt(self, meta, children):
        sources, targets, events, *when = children
        return ast.Route(sources, targets, events, when[0] if when else None, span=self._span(meta))

    def case(self, meta, children):
        predicate, target = children
        return ast.Case(predicate, target, span=self._span(meta))

    def else_case(self, meta, children):
        return ast.Case(None, children[-1], span=self._span(meta))

    def selective_stmt(self, meta, children):
        source, *cases, events = children
        return ast.Selective(source, tuple(cases), events, span=self._span(meta))

    def hierarchical_stmt(self, meta, children):
        parent, events = children
        return ast.Hierarchical(parent, events, span=self._span(meta))

    def feedback_stmt(self, meta, children):
        sources, targets, events = children
        return ast.Feedback(sources, targets, events, span=self._span(meta))

    def ref(self, meta, names):
        return ast.Ref(tuple(str(n) for n in names), span=self._span(meta))

    def ref_list(self, meta, refs):
        return tuple(refs)

    def name_list(self, meta, names):
        return tuple(self._ident(n) for n in names)

    def workflow_decl(self, meta, children):
        name, *rest = children
        description = None
        if rest and isinstance(rest[0], Token) and rest[0].type == "STRING":
            description = _unquote(rest.pop(0))
        return ast.WorkflowDecl(str(name), description, tuple(rest), span=self._span(meta))

    def workflow_setting(self, meta, children):
        name, value = children
        return ast.WorkflowSetting(str(name), value, span=self._span(meta))

    def sweep_stmt(self, meta, children):
        name, values = children
        return ast.Sweep(str(name), values, span=self._span(meta))

    def walk_forward_stmt(self, meta, kwargs):
        return ast.WalkForward(tuple(kwargs), span=self._span(meta))

    # ---- expressions ----

    def number(self, meta, children):
        (token,) = children
        return ast.Number(_number(token), str(token), span=self._tok(token))

    def string(self, meta, children):
        (token,) = children
        return ast.String(_unquote(token), span=self._tok(token))

    def true(self, meta, children):
        return ast.Bool(True, span=self._tok(children[0]))

    def false(self, meta, children):
        return ast.Bool(False, span=self._tok(children[0]))

    def name(self, meta, children):
        (token,) = children
        return ast.Name(str(token), span=self._tok(token))

    def at_name(self, meta, children):
        name, symbol = children
        at = _unquote(symbol) if symbol.type == "STRING" else str(symbol)
        return ast.Name(str(name), at, span=self._span(meta))

    def kwarg(self, meta, children):
        name, value = children
        return ast.Keyword(str(name), value, span=self._span(meta))

    def call(self, meta, children):
        func, *arguments = children
        args: list[ast.Expr] = []
        kwargs: list[ast.Keyword] = []
        for argument in arguments:
            if isinstance(argument, ast.Keyword):
                kwargs.append(argument)
            elif kwargs:
                raise FlowError([diagnose("FL101", argument.span,
                                          f"write the positional arguments of `{func}` first",
                                          detail="a positional argument cannot follow a keyword argument")])
            else:
                args.append(argument)
        return ast.Call(str(func), tuple(args), tuple(kwargs), span=self._span(meta))

    def list(self, meta, items):
        return ast.ListExpr(tuple(items), span=self._span(meta))

    def unary(self, meta, children):
        op, operand = children
        return ast.Unary(str(op), operand, span=self._span(meta))

    def _chain(self, meta, children):
        """Fold `a op b op c` into left-nested Binary nodes."""
        if len(children) > 2 * MAX_OPERANDS:
            raise FlowError([diagnose("FL109", self._span(meta), "split it into several settings",
                                      detail=f"an expression has more than {MAX_OPERANDS} operands")])
        result = children[0]
        for op, right in zip(children[1::2], children[2::2], strict=False):
            span = self.source.span(result.span.start, right.span.end)
            result = ast.Binary(str(op), result, right, span=span)
        return result

    or_expr = and_expr = comparison = sum = product = _chain
