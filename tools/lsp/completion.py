"""Completion: keywords, container names in routes, components for the setting's role, events for a route.

The context (which block, which statement) comes from `context.context_at` on the
text as typed; the names come from the snapshot's scope and index, or, for a
container pattern whose declaration does not parse at the moment, from the last
snapshot of the document in which it did.
"""

from __future__ import annotations

from collections.abc import Iterable

from lsprotocol import types as lsp

from flowc.compiler import components
from flowc.compiler.containers import Hierarchy
from flowc.compiler.schema import BAR_FIELDS, NAMED_RULES, ROLE_SETTINGS, TIMEFRAME, Events, Roles
from flowc.compiler.scope import FIELD_TYPES, PARAM_TYPES
from flowc.compiler.workflow import OBJECTIVES, WALK_FORWARD_ARGS, WORKFLOW_SETTINGS
from flowc.dsl.formatter import format_expr
from flowc.dsl.loader import std_files
from flowc.dsl.syntax_errors import ADAPTERS, DECLARATIONS
from flowc.tools.lsp.context import Context, context_at

K = lsp.CompletionItemKind
EXPRESSION_KEYWORDS = ("true", "false", "not", "and", "or")


def complete(snapshot, offset: int, fallback=None) -> list[lsp.CompletionItem]:
    """The completions at a character offset of the snapshot's text."""
    piece = snapshot.parsed.piece_at(max(0, offset - 1)) if offset else snapshot.parsed.pieces[0]
    ctx = context_at(snapshot.source_text, piece.start, offset)
    if ctx.in_comment:
        return []
    return list(_dedupe(_Completer(snapshot, fallback, ctx).items()))


def _dedupe(items: Iterable[lsp.CompletionItem]) -> Iterable[lsp.CompletionItem]:
    seen = set()
    for item in items:
        if item.label not in seen:
            seen.add(item.label)
            yield item


def _item(label: str, kind: lsp.CompletionItemKind, detail: str | None = None, doc: str | None = None,
          sort: str = "1") -> lsp.CompletionItem:
    return lsp.CompletionItem(label=label, kind=kind, detail=detail, sort_text=f"{sort}{label}",
                              documentation=lsp.MarkupContent(lsp.MarkupKind.Markdown, doc) if doc else None)


def _keywords(words: Iterable[str]) -> list[lsp.CompletionItem]:
    return [_item(w, K.Keyword, "keyword", sort="2") for w in words]


class _Completer:
    def __init__(self, snapshot, fallback, ctx: Context):
        self.snapshot = snapshot
        self.fallback = fallback
        self.ctx = ctx
        self.scope = snapshot.scope

    def items(self) -> list[lsp.CompletionItem]:
        ctx, block = self.ctx, self.ctx.block
        if ctx.in_string:
            return self.strings()
        if block is None:
            return self.top_level()
        handler = {"containers": self.containers, "container": self.container, "communication": self.communication,
                   "selective": self.selective, "workflow": self.workflow, "event": self.event, "role": self.role}
        return handler.get(block.kind, lambda: [])()

    # ---- top level ----

    def top_level(self) -> list[lsp.CompletionItem]:
        s = self.ctx.statement
        if not s:
            return _keywords(DECLARATIONS)
        if s == ["import"]:
            return [_item(f'"{name}"', K.File, "the standard library") for name in std_files()]
        if s[0] == "param" and len(s) == 3 and s[2] == ":":
            return [_item(t, K.TypeParameter, "param type") for t in PARAM_TYPES]
        if s[0] == "param" and "=" in s:
            return _keywords(("true", "false"))
        return []

    def strings(self) -> list[lsp.CompletionItem]:
        s = self.ctx.statement
        if s == ["import"] and self.ctx.block is None:
            return [_item(name, K.File, "the standard library") for name in std_files()]
        if s[-2:] == ["sample", "("]:
            return [_item(n, K.Value, "bundled daily bars") for n in ("sp500", "nasdaq")]
        return []

    # ---- containers ----

    def containers(self) -> list[lsp.CompletionItem]:
        s = self.ctx.statement
        if len(s) == 2 and s[1] == ":":
            return self.roles()
        return []

    def roles(self) -> list[lsp.CompletionItem]:
        return [_item(r.name, K.Interface, "role", f"consumes {', '.join(sorted(r.consumes)) or 'nothing'}; "
                                                   f"produces {', '.join(sorted(r.produces)) or 'nothing'}")
                for r in self.scope.roles.values()]

    def container(self) -> list[lsp.CompletionItem]:
        s, block = self.ctx.statement, self.ctx.block
        assert block is not None
        if len(s) == 2 and s[1] == ":":
            return self.roles()
        if not s:
            allowed = ROLE_SETTINGS.get(block.role)
            return [_item(name, K.Property, f"{block.role} setting") for name in sorted(allowed or ())]
        if len(s) >= 2 and s[1] == "=":
            return self.expression(block.role, s[0])
        return []

    def expression(self, role: str, setting: str) -> list[lsp.CompletionItem]:
        out = []
        for name in components.candidates(role, setting):
            found = components.lookup(role, setting, name)
            if found is not None:
                doc = found.summary + (f"\n\n{found.definition}" if found.definition else "")
                out.append(_item(name, K.Function, found.signature, doc, sort="0"))
        rules = NAMED_RULES.get((role, setting))
        if rules is not None:
            out += [_item(f'"{rule}"', K.EnumMember, f"{setting} rule") for rule in rules]
        if role in components.SERIES_ROLES and setting != TIMEFRAME:
            out += self.visible_names(role)  # per-bar values: fields, features, params
        else:
            out += [_item(p.name, K.Variable, f"param: {p.type.name}") for p in self.scope.params.values()]
        return out + _keywords(EXPRESSION_KEYWORDS)

    def visible_names(self, role: str) -> list[lsp.CompletionItem]:
        out = [_item(p.name, K.Variable, f"param: {p.type.name}") for p in self.scope.params.values()]
        info = self.scope.roles.get(role)
        if info is not None and Events.BAR in info.consumes:
            out += [_item(f, K.Field, "field of BAR") for f in BAR_FIELDS]
        pattern = self.ctx.enclosing("containers")
        here = self.ctx.block
        hierarchy = self.hierarchy(pattern.name) if pattern else None
        if hierarchy is not None:
            for node in hierarchy.nodes.values():
                if node.role in (Roles.FEATURE, Roles.CLASSIFIER) or (here is not None and node.name == here.name):
                    for setting in node.settings:
                        kind = "feature" if node.role == Roles.FEATURE else "regime" if node.role == Roles.CLASSIFIER \
                            else "setting"
                        out.append(_item(setting.name, K.Field, f"{kind} of `{node.path}`",
                                         f"`{setting.name} = {format_expr(setting.value)}`"))
        return out

    def hierarchy(self, pattern: str) -> Hierarchy | None:
        """The pattern's hierarchy, from the last snapshot that has it (it may not parse right now)."""
        for snapshot in (self.snapshot, self.fallback):
            found = snapshot.index.hierarchies.get(pattern) if snapshot is not None else None
            if found is not None and found.nodes:
                return found
        return None

    # ---- communication ----

    def paired(self) -> list[Hierarchy]:
        block = self.ctx.enclosing("communication")
        names: list[str] = []
        for snapshot in (self.snapshot, self.fallback):
            if snapshot is None:
                continue
            for workflow in snapshot.workflows_of_communication(block.name if block else ""):
                decl = snapshot.scope.workflows[workflow]
                names += [i.value.id for i in decl.items if getattr(i, "name", None) == "containers"
                          and hasattr(i.value, "id")]
        if not names:
            names = list(self.scope.containers) or list(self.fallback.scope.containers if self.fallback else [])
        found = [self.hierarchy(n) for n in dict.fromkeys(names)]
        return [h for h in found if h is not None]

    def container_names(self) -> list[lsp.CompletionItem]:
        out = []
        for hierarchy in self.paired():
            for node in hierarchy.nodes.values():
                role = self.scope.roles.get(node.role)
                if role is not None and not role.routes and node.parent is None:
                    continue
                label = node.name if len(hierarchy.by_name.get(node.name, [])) == 1 else node.path
                out.append(_item(label, K.Module, f"{node.role} container of `{hierarchy.pattern}`", sort="0"))
        return out

    def communication(self) -> list[lsp.CompletionItem]:
        s = self.ctx.statement
        if not s:
            return _keywords(ADAPTERS)
        if s[0] not in ADAPTERS:
            return []
        if "when" in s:
            return self.predicate(self.listed_events(s))
        if ":" in s:
            after = s[s.index(":") + 1:]
            if after and after[-1] != "," and s[0] == "route":
                return _keywords(("when",))
            if after and after[-1] != ",":
                return []
            return self.events(s)
        if s[-1] in (s[0], "->", ","):
            return self.container_names()
        return []

    def listed_events(self, s: list[str]) -> list[str]:
        end = s.index("when") if "when" in s else len(s)
        return [w for w in s[s.index(":") + 1:end] if w != ","] if ":" in s else []

    def roles_of(self, refs: list[str]) -> list[str]:
        roles = []
        for hierarchy in self.paired():
            for ref in refs:
                paths = hierarchy.by_name.get(ref, []) or ([ref] if ref in hierarchy.nodes else [])
                roles += [hierarchy.nodes[p].role for p in paths]
        return roles

    def events(self, s: list[str]) -> list[lsp.CompletionItem]:
        """Events the statement's sources can produce and its targets consume (every event when unknown)."""
        head = s[1:s.index(":")]
        refs = _refs(head)
        if s[0] == "hierarchical":
            sources, targets = [], []
            for hierarchy in self.paired():
                for ref in refs:
                    for path in hierarchy.by_name.get(ref, []) or ([ref] if ref in hierarchy.nodes else []):
                        targets += [hierarchy.nodes[c].role for c in hierarchy.descendants(path)]
        elif "->" in head:
            arrow = head.index("->")
            sources, targets = self.roles_of(_refs(head[:arrow])), self.roles_of(_refs(head[arrow + 1:]))
        else:
            sources, targets = [], []
        produced = set().union(*(self.scope.roles[r].produces for r in sources if r in self.scope.roles))
        consumed = set().union(*(self.scope.roles[r].consumes for r in targets if r in self.scope.roles))
        out = []
        for event in self.scope.events.values():
            fits = (not sources or event.name in produced) and (not targets or event.name in consumed)
            if fits:
                out.append(_item(event.name, K.Event, "event", ", ".join(event.fields) or None, sort="0"))
        return out or [_item(e, K.Event, "event") for e in self.scope.events]

    def predicate(self, events: list[str]) -> list[lsp.CompletionItem]:
        out = [_item("symbol", K.Field, "the event's symbol")]
        for name in events or list(self.scope.events):
            event = self.scope.events.get(name)
            if event is not None:
                out += [_item(f, K.Field, f"field of {event.name}") for f in event.fields]
        out += [_item(p.name, K.Variable, f"param: {p.type.name}") for p in self.scope.params.values()]
        return out + _keywords(EXPRESSION_KEYWORDS)

    def selective(self) -> list[lsp.CompletionItem]:
        s = self.ctx.statement
        if "=>" in s:
            return self.container_names()
        if not s or s == [","]:
            return [*self.predicate([]), *_keywords(("else",))]
        return self.predicate([])

    # ---- workflow, event, role ----

    def workflow(self) -> list[lsp.CompletionItem]:
        s = self.ctx.statement
        if not s:
            return [*(_item(n, K.Property, "workflow setting") for n in WORKFLOW_SETTINGS),
                    *_keywords(("sweep", "walk_forward"))]
        if s == ["containers", "="]:
            return [_item(n, K.Module, "container pattern") for n in self.scope.containers]
        if s == ["communication", "="]:
            return [_item(n, K.Module, "communication pattern") for n in self.scope.communications]
        if s == ["objective", "="]:
            return [_item(n, K.EnumMember, "metric") for n in OBJECTIVES]
        if s == ["sweep"]:
            return [_item(p.name, K.Variable, f"param: {p.type.name}") for p in self.scope.params.values()]
        if len(s) == 2 and s[0] == "sweep":
            return _keywords(("in",))
        if s[0] == "walk_forward" and s[-1] in ("walk_forward", ","):
            return [_item(a, K.Property, "walk_forward argument") for a in WALK_FORWARD_ARGS]
        return []

    def event(self) -> list[lsp.CompletionItem]:
        s = self.ctx.statement
        if s[-1:] == [":"]:
            return [_item(t, K.TypeParameter, "field type") for t in FIELD_TYPES]
        return []

    def role(self) -> list[lsp.CompletionItem]:
        s = self.ctx.statement
        if not s:
            return _keywords(("consumes", "produces"))
        if s[0] in ("consumes", "produces") and s[-1] in ("consumes", "produces", ","):
            return [_item(e, K.Event, "event") for e in self.scope.events]
        return []


def _refs(tokens: list[str]) -> list[str]:
    """The references of a list of tokens like `a`, `,`, `b`, `.`, `c`: `a` and `b.c`."""
    return [ref for ref in "".join(tokens).split(",") if ref]
