"""The abstract syntax tree: frozen dataclasses, one per construct of the language.

Every node carries the span it came from. Spans (and the spelling of numbers)
take no part in equality, so `parse(fmt(text)) == parse(text)` compares
meaning, not layout. No later stage ever sees a lark tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flowc.dsl.source import Span

_NOWHERE = Span("<generated>", 0, 0, 0, 0)


@dataclass(frozen=True, kw_only=True)
class Node:
    span: Span = field(default=_NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Ident(Node):
    """A name together with its own span (an event, role or type name)."""

    name: str


@dataclass(frozen=True)
class Ref(Node):
    """A container reference: `risk` or the dotted path `classifier.trend`."""

    parts: tuple[str, ...]

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)


# ---- expressions ---------------------------------------------------------------


@dataclass(frozen=True)
class Number(Node):
    value: int | float
    text: str = field(default="", compare=False)  # as written, e.g. `1_000_000`


@dataclass(frozen=True)
class String(Node):
    value: str


@dataclass(frozen=True)
class Bool(Node):
    value: bool


@dataclass(frozen=True)
class Name(Node):
    id: str
    at: str | None = None  # `close@NDX`: the value at another symbol (docs/semantics.md, section 3)


@dataclass(frozen=True)
class Keyword(Node):
    name: str
    value: Expr


@dataclass(frozen=True)
class Call(Node):
    func: str
    args: tuple[Expr, ...] = ()
    kwargs: tuple[Keyword, ...] = ()


@dataclass(frozen=True)
class ListExpr(Node):
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Unary(Node):
    op: str  # "-" or "not"
    operand: Expr


@dataclass(frozen=True)
class Binary(Node):
    op: str  # + - * / < <= > >= == != and or
    left: Expr
    right: Expr


Expr = Number | String | Bool | Name | Call | ListExpr | Unary | Binary


# ---- declarations --------------------------------------------------------------


@dataclass(frozen=True)
class Import(Node):
    path: str


@dataclass(frozen=True)
class Param(Node):
    name: str
    type: Ident
    default: Expr | None = None


@dataclass(frozen=True)
class EventField(Node):
    name: str
    type: Ident


@dataclass(frozen=True)
class EventDecl(Node):
    name: str
    fields: tuple[EventField, ...]


@dataclass(frozen=True)
class RoleDecl(Node):
    name: str
    consumes: tuple[Ident, ...]
    produces: tuple[Ident, ...]


@dataclass(frozen=True)
class Setting(Node):
    name: str
    value: Expr


@dataclass(frozen=True)
class Container(Node):
    name: str
    role: Ident
    items: tuple[Setting | Container, ...]  # in source order

    @property
    def settings(self) -> tuple[Setting, ...]:
        return tuple(item for item in self.items if isinstance(item, Setting))

    @property
    def children(self) -> tuple[Container, ...]:
        return tuple(item for item in self.items if isinstance(item, Container))


@dataclass(frozen=True)
class ContainersDecl(Node):
    name: str
    items: tuple[Setting | Container, ...]  # a pattern holds one root; settings here are errors

    @property
    def roots(self) -> tuple[Container, ...]:
        return tuple(item for item in self.items if isinstance(item, Container))


@dataclass(frozen=True)
class Pipeline(Node):
    stages: tuple[Ref, ...]


@dataclass(frozen=True)
class Broadcast(Node):
    source: Ref
    targets: tuple[Ref, ...]
    events: tuple[Ident, ...]


@dataclass(frozen=True)
class Route(Node):
    sources: tuple[Ref, ...]
    targets: tuple[Ref, ...]
    events: tuple[Ident, ...]
    when: Expr | None = None


@dataclass(frozen=True)
class Case(Node):
    predicate: Expr | None  # None is `else`
    target: Ref


@dataclass(frozen=True)
class Selective(Node):
    source: Ref
    cases: tuple[Case, ...]
    events: tuple[Ident, ...]


@dataclass(frozen=True)
class Hierarchical(Node):
    parent: Ref
    events: tuple[Ident, ...]


@dataclass(frozen=True)
class Feedback(Node):
    sources: tuple[Ref, ...]
    targets: tuple[Ref, ...]
    events: tuple[Ident, ...]


Adapter = Pipeline | Broadcast | Route | Selective | Hierarchical | Feedback


@dataclass(frozen=True)
class CommunicationDecl(Node):
    name: str
    adapters: tuple[Adapter, ...]


@dataclass(frozen=True)
class WorkflowSetting(Node):
    name: str
    value: Expr


@dataclass(frozen=True)
class Sweep(Node):
    param: str
    values: Expr


@dataclass(frozen=True)
class WalkForward(Node):
    args: tuple[Keyword, ...]


WorkflowItem = WorkflowSetting | Sweep | WalkForward


@dataclass(frozen=True)
class WorkflowDecl(Node):
    name: str
    description: str | None
    items: tuple[WorkflowItem, ...]


Decl = Import | Param | EventDecl | RoleDecl | ContainersDecl | CommunicationDecl | WorkflowDecl


@dataclass(frozen=True)
class Comment(Node):
    text: str  # including the leading `#`


@dataclass(frozen=True)
class Module(Node):
    """One parsed `.flow` file."""

    path: str
    declarations: tuple[Decl, ...]
    comments: tuple[Comment, ...] = field(default=(), compare=False)
