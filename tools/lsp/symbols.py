"""Document symbols: the outline of a file (params, events, roles, patterns with their containers, workflows).

Built from whatever parsed, so the outline survives a syntax error in one
declaration; the declaration being typed is missing until it parses again.
"""

from __future__ import annotations

from lsprotocol import types as lsp

from flowc.compiler.schema import Roles
from flowc.dsl import ast
from flowc.dsl.formatter import format_expr

K = lsp.SymbolKind


def document_symbols(snapshot) -> list[lsp.DocumentSymbol]:
    out = []
    for decl in snapshot.module.declarations:
        symbol = _declaration(snapshot, decl)
        if symbol is not None:
            out.append(symbol)
    return out


def _symbol(snapshot, name: str, kind: lsp.SymbolKind, node: ast.Node, detail: str | None = None,
            children: list | None = None, name_span: tuple[int, int] | None = None) -> lsp.DocumentSymbol:
    lines = snapshot.lines
    full = lines.range(node.span.start, node.span.end)
    selection = lines.range(*name_span) if name_span else full
    return lsp.DocumentSymbol(name=name or "?", kind=kind, range=full, selection_range=selection, detail=detail,
                              children=children or None)


def _name(snapshot, node: ast.Node, keyword: str, name: str) -> tuple[int, int]:
    text = snapshot.source_text
    start = text.find(name, node.span.start + len(keyword), node.span.end)
    return (start, start + len(name)) if start >= 0 else (node.span.start, node.span.start)


def _declaration(snapshot, decl: ast.Decl) -> lsp.DocumentSymbol | None:
    if isinstance(decl, ast.Import):
        return _symbol(snapshot, f'import "{decl.path}"', K.File, decl)
    if isinstance(decl, ast.Param):
        detail = decl.type.name + (f" = {format_expr(decl.default)}" if decl.default else "")
        return _symbol(snapshot, decl.name, K.Variable, decl, detail, name_span=_name(snapshot, decl, "param",
                                                                                        decl.name))
    if isinstance(decl, ast.EventDecl):
        fields = [_symbol(snapshot, f.name, K.Field, f, f.type.name,
                          name_span=(f.span.start, f.span.start + len(f.name))) for f in decl.fields]
        return _symbol(snapshot, decl.name, K.Event, decl, "event", fields, _name(snapshot, decl, "event", decl.name))
    if isinstance(decl, ast.RoleDecl):
        consumes, produces = (", ".join(i.name for i in names) for names in (decl.consumes, decl.produces))
        return _symbol(snapshot, decl.name, K.Interface, decl, f"consumes {consumes}; produces {produces}",
                       name_span=_name(snapshot, decl, "role", decl.name))
    if isinstance(decl, ast.ContainersDecl):
        children = [_container(snapshot, c) for c in decl.items if isinstance(c, ast.Container)]
        return _symbol(snapshot, decl.name, K.Namespace, decl, "containers", children,
                       _name(snapshot, decl, "containers", decl.name))
    if isinstance(decl, ast.CommunicationDecl):
        children = [_symbol(snapshot, type(a).__name__.lower(), K.Operator, a, _adapter_detail(snapshot, a))
                    for a in decl.adapters]
        return _symbol(snapshot, decl.name, K.Module, decl, "communication", children,
                       _name(snapshot, decl, "communication", decl.name))
    if isinstance(decl, ast.WorkflowDecl):
        children = [_symbol(snapshot, item.name if not isinstance(item, ast.Sweep | ast.WalkForward)
                            else ("sweep " + item.param if isinstance(item, ast.Sweep) else "walk_forward"),
                            K.Property, item) for item in decl.items]
        return _symbol(snapshot, decl.name, K.Class, decl, decl.description or "workflow", children,
                       _name(snapshot, decl, "workflow", decl.name))
    return None


def _container(snapshot, node: ast.Container) -> lsp.DocumentSymbol:
    children = []
    for item in node.items:
        if isinstance(item, ast.Container):
            children.append(_container(snapshot, item))
        else:
            kind = K.Field if node.role.name == Roles.FEATURE else K.Property
            children.append(_symbol(snapshot, item.name, kind, item, format_expr(item.value),
                                    name_span=(item.span.start, item.span.start + len(item.name))))
    return _symbol(snapshot, node.name, K.Object, node, node.role.name, children,
                   (node.span.start, node.span.start + len(node.name)))


def _adapter_detail(snapshot, adapter: ast.Adapter) -> str:
    text = snapshot.source_text[adapter.span.start:adapter.span.end]
    first = " ".join(text.split())
    return first if len(first) <= 80 else first[:77] + "..."
