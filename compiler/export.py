"""Printable forms of a workflow: the AST dump, the graph listing, Graphviz dot and Mermaid.

Every stage has a stable text form (`flowc compile --emit ast|graph|dot|mermaid`,
`flowc graph`) that golden tests compare, so the order of everything printed
here is fixed: containers in declaration order, routes by source, target and
event. Parallel routes of one source and target merge into one drawn edge
labelled with all their events; feedback edges are dashed; predicates are
printed back as `.flow` text.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

from flowc.compiler.communication import Guard
from flowc.compiler.containers import ContainerNode
from flowc.compiler.graph import Edge, FlowGraph
from flowc.compiler.schema import TIMEFRAME
from flowc.dsl import ast
from flowc.dsl.formatter import at_text, format_expr

# ---- expressions back to text ----------------------------------------------------

_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4,
               "+": 5, "-": 5, "*": 6, "/": 6}
_ATOM, _NEGATION = 8, 7


def expr_text(e: ast.Expr) -> str:
    """An expression as `.flow` source, with only the parentheses its meaning needs."""
    if isinstance(e, ast.Number):
        return e.text or repr(e.value)
    if isinstance(e, ast.String):
        return '"' + e.value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(e, ast.Bool):
        return "true" if e.value else "false"
    if isinstance(e, ast.Name):
        return e.id + at_text(e.at)
    if isinstance(e, ast.Call):
        args = [expr_text(a) for a in e.args] + [f"{k.name} = {expr_text(k.value)}" for k in e.kwargs]
        return f"{e.func}({', '.join(args)})"
    if isinstance(e, ast.ListExpr):
        return "[" + ", ".join(expr_text(i) for i in e.items) + "]"
    if isinstance(e, ast.Unary):
        if e.op == "not":
            return "not " + _operand(e.operand, _PRECEDENCE["not"])
        return "-" + _operand(e.operand, _NEGATION)
    level = _PRECEDENCE[e.op]
    # Left-nested chains need no parentheses on the left; comparisons do not chain at all.
    left = _operand(e.left, level + 1 if level == _PRECEDENCE["=="] else level)
    return f"{left} {e.op} {_operand(e.right, level + 1)}"


def _level(e: ast.Expr) -> int:
    if isinstance(e, ast.Binary):
        return _PRECEDENCE[e.op]
    if isinstance(e, ast.Unary):
        return _PRECEDENCE["not"] if e.op == "not" else _NEGATION
    return _ATOM


def _operand(e: ast.Expr, at_least: int) -> str:
    text = expr_text(e)
    return text if _level(e) >= at_least else f"({text})"


def guard_text(guard: Guard) -> str:
    """A guard as one predicate: its required predicates and the negations of the excluded ones."""
    parts = [_operand(r, _PRECEDENCE["and"]) for r in guard.required]
    # `not (a == b)` rather than the equivalent `not a == b`, which reads ambiguously.
    parts += [f"not {_operand(x, _ATOM)}" for x in guard.excluded]
    return " and ".join(parts)


def predicate_text(edge: Edge) -> str | None:
    """The condition under which the route passes an event (None: always)."""
    if edge.guards is None:
        return None
    texts = [guard_text(g) or "true" for g in edge.guards]
    return texts[0] if len(texts) == 1 else " or ".join(f"({t})" for t in texts)


# ---- the AST -----------------------------------------------------------------------


def ast_text(module: ast.Module) -> str:
    """An indented dump of a module's AST: one node per line with its scalar fields and position."""
    return "".join(_ast_lines(module, "", ""))


def _ast_lines(node: ast.Node, label: str, indent: str) -> Iterator[str]:
    scalars, children = [], []
    for f in dataclasses.fields(node):
        if f.name in ("span", "comments") or (isinstance(node, ast.Number) and f.name == "text"):
            continue
        value = getattr(node, f.name)
        if isinstance(value, ast.Node) or (isinstance(value, tuple) and value and isinstance(value[0], ast.Node)):
            children.append((f.name, value))
        elif value not in ((), None):
            scalars.append(f"{f.name}={value!r}")
    where = f" @{node.span.line}:{node.span.column}" if node.span.line else ""
    yield f"{indent}{label}{type(node).__name__}{where} {' '.join(scalars)}".rstrip() + "\n"
    for name, value in children:
        for i, child in enumerate(value if isinstance(value, tuple) else (value,)):
            suffix = f"[{i}]" if isinstance(value, tuple) else ""
            yield from _ast_lines(child, f"{name}{suffix}: ", indent + "  ")


# ---- the graph ---------------------------------------------------------------------


def graph_text(graph: FlowGraph) -> str:
    """Nodes with role and parent, then every route: `src -> dst : EVENT [feedback] [via P] [when PRED]`."""
    lines = [f"containers {graph.hierarchy.pattern}", "nodes"]
    for path in graph.nodes:
        node = graph.container(path)
        lines.append(f"  {path} : {node.role}" + (f" in {node.parent}" if node.parent else ""))
    lines.append("edges")
    for edge in graph.edges():
        extras = ["feedback"] if edge.feedback else []
        if edge.via:
            extras.append(f"via {edge.via}")
        predicate = predicate_text(edge)
        if predicate is not None:
            extras.append(f"when {predicate}")
        lines.append(f"  {edge.source} -> {edge.target} : {edge.event}" + "".join(f" [{x}]" for x in extras))
    return "\n".join(lines) + "\n"


def _drawn_edges(graph: FlowGraph) -> list[tuple[str, str, bool, str]]:
    """(source, target, feedback, label): parallel routes merged, events with one predicate grouped."""
    merged: dict[tuple[str, str, bool], dict[str | None, list[str]]] = {}
    for edge in graph.edges():
        groups = merged.setdefault((edge.source, edge.target, edge.feedback), {})
        groups.setdefault(predicate_text(edge), []).append(edge.event)
    return [(source, target, feedback,
             "; ".join(", ".join(events) + (f" when {p}" if p else "") for p, events in groups.items()))
            for (source, target, feedback), groups in merged.items()]


def _clusters(graph: FlowGraph) -> dict[str | None, list[str]]:
    """For the drawing: parent -> the containers drawn inside it (None: top level).

    A container with children becomes a cluster; a routing container that is
    one is drawn inside its own cluster, next to its children.
    """
    h = graph.hierarchy
    members: dict[str | None, list[str]] = {}
    for path, node in h.nodes.items():
        routing = path in graph.g
        if node.children or routing:
            owner = node.parent if node.parent in h.nodes else None
            members.setdefault(owner, []).append(path)
    return members


# ---- Graphviz dot ------------------------------------------------------------------


def _role(node: ContainerNode) -> str:
    """A container's role, and its timeframe if it has one: `feature, weekly()`."""
    clock = next((st.value for st in node.settings if st.name == TIMEFRAME), None)
    return f"{node.role}, {format_expr(clock)}" if clock is not None else node.role


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph: FlowGraph) -> str:
    """The workflow's topology as a Graphviz digraph."""
    h = graph.hierarchy
    members = _clusters(graph)
    lines = [f"digraph {_quote(h.pattern)} {{", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];',
             '  edge [fontname="Helvetica", fontsize=10];', '  fontname="Helvetica";']

    def emit(path: str, indent: str) -> None:
        node = h.nodes[path]
        label = _quote(f"{node.name}\n{_role(node)}")
        box = f"{_quote(path)} [label={label}];"
        if not node.children:
            lines.append(indent + box)
            return
        lines.append(f"{indent}subgraph {_quote('cluster_' + path)} {{")
        lines.append(f"{indent}  label={_quote(f'{node.name} ({node.role})')};")
        if path in graph.g:
            lines.append(f"{indent}  {box}")
        for child in members.get(path, []):
            emit(child, indent + "  ")
        lines.append(f"{indent}}}")

    for path in members.get(None, []):
        emit(path, "  ")
    for source, target, feedback, label in _drawn_edges(graph):
        style = ", style=dashed" if feedback else ""
        lines.append(f"  {_quote(source)} -> {_quote(target)} [label={_quote(label)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---- Mermaid -----------------------------------------------------------------------


def _mermaid_text(*lines: str) -> str:
    """A quoted Mermaid label; `<br/>` separates lines, everything else is escaped."""
    def escape(text: str) -> str:
        return text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    return '"' + "<br/>".join(escape(line) for line in lines) + '"'


_MERMAID_KEYWORDS = {"end", "graph", "flowchart", "subgraph", "style", "class", "classdef", "click", "linkstyle",
                     "direction", "default"}


def _mermaid_ids(h_nodes: list[str], clusters: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Mermaid ids are plain words, unique among nodes and clusters: `classifier.trend` -> `classifier_trend`."""
    taken: set[str] = set()

    def allocate(text: str) -> str:
        base = re.sub(r"\W", "_", text)
        if base.lower() in _MERMAID_KEYWORDS:
            base += "_"
        ident, n = base, 1
        while ident in taken:
            n += 1
            ident = f"{base}_{n}"
        taken.add(ident)
        return ident

    nodes = {path: allocate(path) for path in h_nodes}
    return nodes, {path: allocate(f"cluster_{path}") for path in clusters}


def to_mermaid(graph: FlowGraph) -> str:
    """The workflow's topology as a Mermaid flowchart."""
    h = graph.hierarchy
    members = _clusters(graph)
    ids, cluster_ids = _mermaid_ids([p for p in h.nodes if p in graph.g],
                                    [p for p, n in h.nodes.items() if n.children])
    lines = ["flowchart LR"]

    def emit(path: str, indent: str) -> None:
        node = h.nodes[path]
        box = f"{ids[path]}[{_mermaid_text(node.name, _role(node))}]" if path in ids else None
        if not node.children:
            lines.append(f"{indent}{box}")
            return
        lines.append(f"{indent}subgraph {cluster_ids[path]} [{_mermaid_text(f'{node.name} ({node.role})')}]")
        if box:
            lines.append(f"{indent}  {box}")
        for child in members.get(path, []):
            emit(child, indent + "  ")
        lines.append(f"{indent}end")

    for path in members.get(None, []):
        emit(path, "  ")
    for source, target, feedback, label in _drawn_edges(graph):
        arrow = "-.->" if feedback else "-->"
        lines.append(f"  {ids[source]} {arrow}|{_mermaid_text(label)}| {ids[target]}")
    return "\n".join(lines) + "\n"
