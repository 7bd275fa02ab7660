"""Print an AST back as `.flow` text in the one canonical style (`flowc fmt`).

A formatter ends arguments about layout in review, and gives every tool that builds or
edits an AST (fixes, generators) one way to write it out. The style is that of the files
in `examples/`, which are its fixed points: 4 spaces per level, one statement per line,
`name: role {` blocks, `name = value`, `a -> b`, `a, b`, ` : EVENT`, keyword arguments
`name = value`, parentheses only where precedence needs them, numbers as written,
strings re-escaped, a blank line around multi-line top-level declarations, and a final
newline. `parse(format_module(m)) == m` and formatting is idempotent.

Some choices stay the author's. From the spans of the AST: blank lines (at most one,
never just after `{` or before `}`), and whether an `event`, `role` or `selective` body is
on one line or has one item per line. From the source text, when given: a run of
consecutive settings stays aligned on `=` (names padded to the longest) where the author
aligned it, and a trailing comment keeps a gap wider than two spaces before its `#`.

Comments are not in the tree, so each is given to an output line by where it sits in the
source: at the end of a line's code it stays at the end of that line; inside a statement
that the formatter joins onto one line it moves just above the statement; otherwise it
goes above the next line (inside the block when that line is a closing `}`), or after the
last declaration at the end of the file. No comment is ever dropped.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from flowc.dsl import ast
from flowc.dsl.parser import parse
from flowc.dsl.source import Span

INDENT = "    "
_BLANKS = re.compile(r"[ \t]*")

# ---- expressions -----------------------------------------------------------------------

# The grammar's precedence, loosest first; binary operators are left-associative and
# comparisons do not chain.
_PRECEDENCE = {"or": 1, "and": 2, "==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4,
               "+": 5, "-": 5, "*": 6, "/": 6}
_NOT, _COMPARISON, _NEGATION, _ATOM = 3, 4, 7, 8


def _precedence(expr: ast.Expr) -> int:
    if isinstance(expr, ast.Binary):
        return _PRECEDENCE[expr.op]
    if isinstance(expr, ast.Unary):
        return _NOT if expr.op == "not" else _NEGATION
    return _ATOM


def format_expr(expr: ast.Expr) -> str:
    """One expression, with the parentheses its structure needs and no others."""
    if isinstance(expr, ast.Binary):
        return _format_chain(expr)
    if isinstance(expr, ast.Unary):
        if expr.op == "not":
            return f"not {_operand(expr.operand, _NOT)}"
        return f"-{_operand(expr.operand, _NEGATION)}"
    if isinstance(expr, ast.Number):
        return expr.text or repr(expr.value)
    if isinstance(expr, ast.String):
        return _string(expr.value)
    if isinstance(expr, ast.Bool):
        return "true" if expr.value else "false"
    if isinstance(expr, ast.Name):
        return expr.id + at_text(expr.at)
    if isinstance(expr, ast.Call):
        args = [format_expr(arg) for arg in expr.args] + [_keyword(kw) for kw in expr.kwargs]
        return f"{expr.func}({', '.join(args)})"
    if isinstance(expr, ast.ListExpr):
        return f"[{', '.join(format_expr(item) for item in expr.items)}]"
    raise TypeError(f"not an expression: {expr!r}")


def _format_chain(expr: ast.Binary) -> str:
    """`a + b - c` from its left-nested tree, walking the left spine in a loop (chains can be long)."""
    level = _precedence(expr)
    rights: list[tuple[str, ast.Expr]] = []
    left: ast.Expr = expr
    while isinstance(left, ast.Binary) and _precedence(left) == level:
        rights.append((left.op, left.right))
        left = left.left
        if level == _COMPARISON:
            break
    parts = [_operand(left, level + 1 if level == _COMPARISON else level)]
    for op, right in reversed(rights):
        parts += [op, _operand(right, level + 1)]
    return " ".join(parts)


def _operand(expr: ast.Expr, minimum: int) -> str:
    text = format_expr(expr)
    return f"({text})" if _precedence(expr) < minimum else text


def _keyword(kw: ast.Keyword) -> str:
    return f"{kw.name} = {format_expr(kw.value)}"


def at_text(symbol: str | None) -> str:
    """`@NDX`, or `@"BRK-B"` for a symbol that is not a name; "" for a name read at its own symbol."""
    if symbol is None:
        return ""
    return "@" + (symbol if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", symbol) else _string(symbol))


def _string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _names(idents: Iterable[ast.Ident]) -> str:
    return ", ".join(ident.name for ident in idents)


def _refs(refs: Iterable[ast.Ref]) -> str:
    return ", ".join(ref.dotted for ref in refs)


# ---- lines ---------------------------------------------------------------------------------


@dataclass
class _Line:
    """One output line of code and the stretch of source it stands for.

    `start`/`end` are source offsets: a comment between them was inside this line's code
    (an opening line stands for nothing but its position). `first`/`last` are the source
    lines it occupied, 0 for a tree that was built rather than parsed.
    """

    depth: int
    text: str
    start: int
    end: int
    first: int
    last: int
    kind: Literal["open", "item", "close"] = "item"
    name: str | None = None  # a setting's name, which alignment on `=` pads
    leading: list[ast.Comment] = field(default_factory=list)
    trailing: ast.Comment | None = None


def _item(depth: int, text: str, span: Span) -> _Line:
    return _Line(depth, text, span.start, span.end, span.line, span.end_line)


def _block(depth: int, head: str, span: Span, body: list[_Line], tail: str = "}") -> list[_Line]:
    """`head {`, the body (already one level deeper) and the closing `tail`."""
    after = max((line.end for line in body), default=span.start)
    opening = _Line(depth, f"{head} {{", span.start, span.start, span.line, span.line, "open")
    closing = _Line(depth, tail, after, span.end, span.end_line, span.end_line, "close")
    return [opening, *body, closing]


def _multiline(span: Span) -> bool:
    return span.end_line > span.line


def _cover(spans: Sequence[Span]) -> Span:
    first, last = min(spans, key=lambda s: s.start), max(spans, key=lambda s: s.end)
    return replace(first, end_line=last.end_line, end_column=last.end_column, end=last.end)


# ---- declarations ------------------------------------------------------------------------


def _declaration(decl: ast.Decl) -> list[_Line]:
    if isinstance(decl, ast.Import):
        return [_item(0, f"import {_string(decl.path)}", decl.span)]
    if isinstance(decl, ast.Param):
        default = "" if decl.default is None else f" = {format_expr(decl.default)}"
        return [_item(0, f"param {decl.name}: {decl.type.name}{default}", decl.span)]
    if isinstance(decl, ast.EventDecl):
        return _event(decl)
    if isinstance(decl, ast.RoleDecl):
        return _role(decl)
    if isinstance(decl, ast.ContainersDecl):
        return _block(0, f"containers {decl.name}", decl.span, _container_items(decl.items, 1))
    if isinstance(decl, ast.CommunicationDecl):
        body = [line for adapter in decl.adapters for line in _adapter(adapter, 1)]
        return _block(0, f"communication {decl.name}", decl.span, body)
    if isinstance(decl, ast.WorkflowDecl):
        head = f"workflow {decl.name}"
        if decl.description is not None:
            head += f" {_string(decl.description)}"
        return _block(0, head, decl.span, [_workflow_item(item) for item in decl.items])
    raise TypeError(f"not a declaration: {decl!r}")


def _event(decl: ast.EventDecl) -> list[_Line]:
    if _multiline(decl.span):
        body = [_item(1, f"{f.name}: {f.type.name},", f.span) for f in decl.fields]
        return _block(0, f"event {decl.name}", decl.span, body)
    fields = [f"{f.name}: {f.type.name}" for f in decl.fields]
    inner = f" {', '.join(fields)} " if fields else ""
    return [_item(0, f"event {decl.name} {{{inner}}}", decl.span)]


def _role(decl: ast.RoleDecl) -> list[_Line]:
    clauses = [(f"{word} {_names(idents)}", idents)
               for word, idents in (("consumes", decl.consumes), ("produces", decl.produces)) if idents]
    if _multiline(decl.span):
        body = [_item(1, text, _cover([i.span for i in idents])) for text, idents in clauses]
        return _block(0, f"role {decl.name}", decl.span, body)
    inner = f" {'; '.join(text for text, _ in clauses)} " if clauses else ""
    return [_item(0, f"role {decl.name} {{{inner}}}", decl.span)]


def _container_items(items: Iterable[ast.Setting | ast.Container], depth: int) -> list[_Line]:
    lines: list[_Line] = []
    for item in items:
        if isinstance(item, ast.Container):
            body = _container_items(item.items, depth + 1)
            lines += _block(depth, f"{item.name}: {item.role.name}", item.span, body)
        else:
            lines.append(_setting(item, depth))
    return lines


def _setting(setting: ast.Setting | ast.WorkflowSetting, depth: int) -> _Line:
    line = _item(depth, f"{setting.name} = {format_expr(setting.value)}", setting.span)
    line.name = setting.name
    return line


def _adapter(adapter: ast.Adapter, depth: int) -> list[_Line]:
    if isinstance(adapter, ast.Selective):
        return _selective(adapter, depth)
    if isinstance(adapter, ast.Pipeline):
        text = "pipeline " + " -> ".join(stage.dotted for stage in adapter.stages)
    elif isinstance(adapter, ast.Broadcast):
        text = f"broadcast {adapter.source.dotted} -> {_refs(adapter.targets)} : {_names(adapter.events)}"
    elif isinstance(adapter, ast.Route):
        text = f"route {_refs(adapter.sources)} -> {_refs(adapter.targets)} : {_names(adapter.events)}"
        if adapter.when is not None:
            text += f" when {format_expr(adapter.when)}"
    elif isinstance(adapter, ast.Hierarchical):
        text = f"hierarchical {adapter.parent.dotted} : {_names(adapter.events)}"
    elif isinstance(adapter, ast.Feedback):
        text = f"feedback {_refs(adapter.sources)} -> {_refs(adapter.targets)} : {_names(adapter.events)}"
    else:
        raise TypeError(f"not an adapter: {adapter!r}")
    return [_item(depth, text, adapter.span)]


def _selective(adapter: ast.Selective, depth: int) -> list[_Line]:
    head = f"selective {adapter.source.dotted} ->"
    tail = f"}} : {_names(adapter.events)}"
    if _multiline(adapter.span):
        body = [_item(depth + 1, f"{_case(case)},", case.span) for case in adapter.cases]
        return _block(depth, head, adapter.span, body, tail)
    cases = ", ".join(_case(case) for case in adapter.cases)
    return [_item(depth, f"{head} {{ {cases} {tail}", adapter.span)]


def _case(case: ast.Case) -> str:
    predicate = "else" if case.predicate is None else format_expr(case.predicate)
    return f"{predicate} => {case.target.dotted}"


def _workflow_item(item: ast.WorkflowItem) -> _Line:
    if isinstance(item, ast.WorkflowSetting):
        return _setting(item, 1)
    if isinstance(item, ast.Sweep):
        return _item(1, f"sweep {item.param} in {format_expr(item.values)}", item.span)
    if isinstance(item, ast.WalkForward):
        return _item(1, "walk_forward " + ", ".join(_keyword(kw) for kw in item.args), item.span)
    raise TypeError(f"not a workflow statement: {item!r}")


# ---- comments, blank lines, alignment ---------------------------------------------------


def _attach_comments(lines: list[_Line], comments: Iterable[ast.Comment]) -> list[ast.Comment]:
    """Give each comment to its line (see the module docstring); returns those that end the file."""
    order = sorted(range(len(lines)), key=lambda i: (lines[i].start, i))
    starts = [lines[i].start for i in order]
    ending_on: dict[int, list[_Line]] = {}
    for line in lines:
        ending_on.setdefault(line.last, []).append(line)
    footer: list[ast.Comment] = []
    for comment in comments:
        at = comment.span.start
        before = [line for line in ending_on.get(comment.span.line, ()) if line.end <= at]
        if before:  # one comment per source line, so no line gets two
            max(before, key=lambda line: line.end).trailing = comment
            continue
        following = bisect.bisect_left(starts, at)
        if following and lines[order[following - 1]].end > at:
            lines[order[following - 1]].leading.append(comment)
        elif following < len(order):
            lines[order[following]].leading.append(comment)
        else:
            footer.append(comment)
    return footer


def _merge_empty_blocks(lines: list[_Line]) -> list[_Line]:
    """`name: role {` directly followed by its `}` becomes `name: role {}` when no comment is in the way."""
    merged: list[_Line] = []
    for line in lines:
        opening = merged[-1] if merged else None
        if (line.kind == "close" and opening is not None and opening.kind == "open"
                and not line.leading and opening.trailing is None):
            opening.text += line.text
            opening.kind, opening.trailing, opening.last = "item", line.trailing, line.last
            continue
        merged.append(line)
    return merged


class _SourceLines:
    """The source lines that held code or comments: any other line between two is a blank line."""

    def __init__(self, lines: Iterable[_Line], comments: Iterable[ast.Comment]):
        self.used: set[int] = {c.span.line for c in comments}
        for line in lines:
            self.used.update(range(line.first, line.last + 1))

    def blank_between(self, last: int, first: int) -> bool:
        return last > 0 and any(n not in self.used for n in range(last + 1, first))


def _align(lines: list[_Line], occupied: _SourceLines, text: str) -> None:
    """Pad the names of each run of sibling settings to the longest, where the author aligned the run.

    A run is settings on consecutive lines of one block (comments between them allowed).
    """
    run: list[_Line] = []
    for line in [*lines, None]:
        if run and (line is None or line.name is None or line.depth != run[-1].depth
                    or occupied.blank_between(run[-1].last, line.first)):
            if _aligned(run, text):
                width = max(len(setting.name or "") for setting in run)
                for setting in run:
                    name = setting.name or ""
                    setting.text = name.ljust(width) + setting.text[len(name):]
            run = []
        if line is not None and line.name is not None:
            run.append(line)


def _aligned(run: list[_Line], text: str) -> bool:
    """Whether, in the source, a padded `=` is in the column of the `=` of a name of another length.

    One padded line alone is sloppy spacing, not alignment; a line added to an aligned run
    without padding does not undo it.
    """
    by_column: dict[int, list[tuple[int, bool]]] = {}
    for line in run:
        name_end = line.start + len(line.name or "")
        equals = _BLANKS.match(text, name_end).end()
        column = equals - text.rfind("\n", 0, equals)
        by_column.setdefault(column, []).append((name_end - line.start, equals - name_end > 1))
    return any(len({length for length, _ in group}) > 1 and any(padded for _, padded in group)
               for group in by_column.values())


def _with_trailing(code: str, comment: ast.Comment | None, text: str | None) -> str:
    """`code  # comment`: two spaces before the `#`, or the wider gap the author left."""
    if comment is None:
        return code
    gap = start = comment.span.start
    while text is not None and gap > 0 and text[gap - 1] in " \t":
        gap -= 1
    return f"{code}{' ' * max(2, start - gap)}{comment.text}"


# ---- entry points ------------------------------------------------------------------------


def format_module(module: ast.Module, source: str | None = None) -> str:
    """The canonical text of a module, with every comment of `module.comments` kept.

    `source`, the text the module was parsed from, shows the spacing the tree does not
    record: where the author aligned `=`, and wider gaps before trailing comments. Without
    it no settings are aligned and every trailing comment is two spaces after its code.
    """
    decls = [_declaration(decl) for decl in module.declarations]
    everything = [line for lines in decls for line in lines]
    footer = _attach_comments(everything, module.comments)
    occupied = _SourceLines(everything, module.comments)
    decls = [_merge_empty_blocks(lines) for lines in decls]

    out: list[str] = []
    previous: tuple[int, str] | None = None  # source line and kind of the row last written

    def row(text: str, first: int, last: int, kind: str, forced: bool = False) -> None:
        nonlocal previous
        if previous is not None and previous[1] != "open" and kind != "close" and (
                forced or occupied.blank_between(previous[0], first)):
            out.append("")
        out.append(text)
        previous = (last, kind)

    for index, lines in enumerate(decls):
        if source is not None:
            _align(lines, occupied, source)
        separate = index > 0 and (len(lines) > 1 or len(decls[index - 1]) > 1)
        for line in lines:
            indent = INDENT * (line.depth + (line.kind == "close"))  # comments before `}` stay inside
            for comment in line.leading:
                row(indent + comment.text, comment.span.line, comment.span.line, "comment", separate)
                separate = False
            code = _with_trailing(INDENT * line.depth + line.text, line.trailing, source)
            row(code, line.first, line.last, line.kind, separate)
            separate = False
    for comment in footer:
        row(comment.text, comment.span.line, comment.span.line, "comment")
    return "".join(f"{text}\n" for text in out)


def format_source(text: str, path: str = "<input>") -> str:
    """Parse and format one file's text; raises FlowError (with FL1xx diagnostics) if it does not parse."""
    return format_module(parse(text, path), text)
