"""The container factory: a container pattern becomes a hierarchy of container nodes.

It knows hierarchies and roles only, nothing of routes. Several containers of
one role are normal, so nothing is keyed by role: a container is named by its
dotted path, and by its bare name where that name is unique in the pattern.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flowc.compiler.scope import Scope
from flowc.dsl import ast
from flowc.dsl.diagnostics import Diagnostic, diagnose, did_you_mean
from flowc.dsl.source import Span


@dataclass(frozen=True)
class ContainerNode:
    path: str  # dotted, from the root's children down: "classifier.trend"
    name: str
    role: str
    settings: tuple[ast.Setting, ...]
    parent: str | None  # None for the root
    children: tuple[str, ...]
    order: int  # declaration order, for deterministic ties
    span: Span
    role_span: Span


@dataclass
class Hierarchy:
    pattern: str
    nodes: dict[str, ContainerNode] = field(default_factory=dict)  # in declaration order
    root: str | None = None
    by_name: dict[str, list[str]] = field(default_factory=dict)

    def resolve(self, ref: ast.Ref) -> tuple[str | None, Diagnostic | None]:
        """The path a reference names, or a diagnostic (unknown or ambiguous)."""
        dotted = ref.dotted
        if dotted in self.nodes:
            return dotted, None
        if len(ref.parts) == 1:
            matches = self.by_name.get(dotted, [])
            if len(matches) == 1:
                return matches[0], None
            if len(matches) > 1:
                return None, diagnose("FL206", ref.span,
                                      "use the dotted path: " + " or ".join(f"`{m}`" for m in matches),
                                      detail=f"`{dotted}` names {len(matches)} containers in `{self.pattern}`")
        names = list(self.by_name) + list(self.nodes)
        return None, diagnose("FL205", ref.span,
                              did_you_mean(dotted, names) or "containers: " + ", ".join(self.nodes),
                              pattern=self.pattern, name=dotted)

    def descendants(self, path: str) -> list[str]:
        out: list[str] = []
        for child in self.nodes[path].children:
            out.append(child)
            out.extend(self.descendants(child))
        return out


def build_hierarchy(decl: ast.ContainersDecl, scope: Scope) -> tuple[Hierarchy, list[Diagnostic]]:
    hierarchy = Hierarchy(decl.name)
    problems: list[Diagnostic] = []
    for item in decl.items:
        if isinstance(item, ast.Setting):
            problems.append(diagnose(
                "FL504", item.span, "put the setting inside a container",
                detail=f"a container pattern holds containers, not settings (`{item.name}`)"))
    roots = decl.roots
    if len(roots) != 1:
        problems.append(diagnose(
            "FL305", roots[1].span if len(roots) > 1 else decl.span,
            "wrap the containers in one root, e.g. `backtest: backtest { ... }`",
            detail=f"the container pattern `{decl.name}` has {len(roots)} root containers; it needs exactly one"))
    if not roots:
        return hierarchy, problems
    root = roots[0]
    hierarchy.root = root.name
    _add(hierarchy, root, root.name, None, scope, problems)
    return hierarchy, problems


def _add(hierarchy: Hierarchy, node: ast.Container, path: str, parent: str | None, scope: Scope,
         problems: list[Diagnostic]) -> None:
    if node.role.name not in scope.roles:
        problems.append(diagnose(
            "FL211", node.role.span,
            did_you_mean(node.role.name, scope.roles) or "roles: " + ", ".join(scope.roles),
            name=node.role.name))
    if path in hierarchy.nodes:
        problems.append(diagnose("FL202", node.span, detail=f"the container `{path}` is declared twice"))
        return
    seen: set[str] = set()
    for setting in node.settings:
        if setting.name in seen:
            problems.append(diagnose("FL202", setting.span,
                                     detail=f"the setting `{setting.name}` is set twice in `{path}`"))
        seen.add(setting.name)
    # Children are addressed from the root's children down, so `classifier.trend`, not `backtest.classifier.trend`.
    child_paths = tuple(_child_path(path, parent, c.name) for c in node.children)
    hierarchy.nodes[path] = ContainerNode(
        path=path, name=node.name, role=node.role.name, settings=node.settings, parent=parent,
        children=child_paths, order=len(hierarchy.nodes), span=node.span, role_span=node.role.span)
    hierarchy.by_name.setdefault(node.name, []).append(path)
    for child, child_path in zip(node.children, child_paths, strict=True):
        _add(hierarchy, child, child_path, path, scope, problems)


def _child_path(path: str, parent: str | None, name: str) -> str:
    return name if parent is None else f"{path}.{name}"
