"""Hover: what the name under the cursor is, in Markdown, from the compiler's own tables.

A component shows its signature, summary and exact definition (the contracts of
`compiler/components.py`); a container its role, settings and the routes into and
out of it in each workflow that uses its pattern; an event its fields; a param its
type, default and the sweeps over it.
"""

from __future__ import annotations

from flowc.compiler import components
from flowc.compiler.schema import REQUIRED_SETTINGS, ROLE_SETTINGS, Events, Roles
from flowc.dsl import ast
from flowc.dsl.formatter import format_expr
from flowc.tools.lsp.index import Occurrence, Symbol

EVENT_NOTES = {
    Events.BAR: "one bar of one symbol",
    Events.FEATURE: "one f64 per feature (setting) the producing feature container defines",
    Events.REGIME: "the state (int) of the setting that produced it, named after that setting",
    Events.SIGNAL: "direction (-1, 0, +1) and strength (f64)",
    Events.ORDER: "signed quantity; version 1 has market orders only",
    Events.FILL: "signed quantity, price and commission",
    Events.PORTFOLIO: "cash, equity, drawdown (portfolio-wide) and position (per symbol)",
}
MAX_ROUTES = 12


def hover(snapshot, occurrence: Occurrence) -> str | None:
    """The Markdown of a hover over `occurrence`, or None when there is nothing to say."""
    symbol = occurrence.symbol
    handler = {
        "component": _component, "container": _container, "setting": _setting, "param": _param,
        "event": _event, "field": _field, "role": _role, "containers": _pattern, "communication": _pattern,
        "workflow": _workflow, "file": _file,
    }.get(symbol.kind)
    return handler(snapshot, symbol) if handler else None


def _code(text: str) -> str:
    return f"```flow\n{text}\n```"


def _where(span) -> str:
    return f"`{span.path}:{span.line}`" if span is not None and span.line else "built in"


def _component(snapshot, symbol: Symbol) -> str:
    role, setting = symbol.owner
    found = components.lookup(role, setting, symbol.name)
    if found is None:
        options = components.candidates(role, setting)
        return (f"**{symbol.name}**: no component of that name for the {role} setting `{setting}`"
                + (f"\n\navailable: {', '.join(f'`{o}`' for o in options)}" if options else ""))
    where = ("any feature, classifier or strategy setting" if found.setting == components.ANY_SETTING
             and found.role == Roles.FEATURE else f"{found.role} settings" if found.setting == components.ANY_SETTING
             else f"the {found.role} setting `{found.setting}`")
    parts = [_code(found.signature), f"{found.summary}; callable in {where}."]
    if found.definition:
        parts.append(f"Definition: {found.definition}.")
    if found.reads:
        parts.append(f"Reads the BAR fields {', '.join(f'`{r}`' for r in found.reads)}.")
    return "\n\n".join(parts)


def _container(snapshot, symbol: Symbol) -> str | None:
    (pattern,) = symbol.owner
    node = snapshot.index.container(pattern, symbol.name)
    if node is None:
        return None
    role = snapshot.scope.roles.get(node.role)
    parts = [_code(f"{node.name}: {node.role}"),
             f"container `{node.path}` of the container pattern `{pattern}`"]
    if role is not None and role.routes:
        parts.append(f"role `{role.name}`: consumes {_events(role.consumes)}; produces {_events(role.produces)}")
    elif role is not None:
        parts.append(f"role `{role.name}`: holds its children and takes no part in routing")
    if node.settings:
        parts.append("settings:\n" + _code("\n".join(f"{s.name} = {format_expr(s.value)}" for s in node.settings)))
    if node.children:
        parts.append("children: " + ", ".join(f"`{c}`" for c in node.children))
    for workflow in snapshot.workflows_of_pattern(pattern):
        graph = snapshot.graph(workflow)
        if graph is None or node.path not in graph.g:
            continue
        lines = [*(_edge(e, "in") for e in graph.incoming(node.path)),
                 *(_edge(e, "out") for e in graph.outgoing(node.path))]
        if len(lines) > MAX_ROUTES:
            lines = [*lines[:MAX_ROUTES], f"... and {len(lines) - MAX_ROUTES} more"]
        communication = next((i.value.id for i in snapshot.scope.workflows[workflow].items
                              if isinstance(i, ast.WorkflowSetting) and i.name == "communication"
                              and isinstance(i.value, ast.Name)), "?")
        parts.append(f"routes in workflow `{workflow}` (communication `{communication}`):\n"
                     + ("\n".join(f"- {line}" for line in lines) if lines else "- none"))
    return "\n\n".join(parts)


def _events(names) -> str:
    return ", ".join(f"`{n}`" for n in sorted(names)) or "nothing"


def _edge(edge, direction: str) -> str:
    arrow = f"`{edge.source} -> {edge.target} : {edge.event}`"
    notes = [" + ".join(edge.adapters)]
    if edge.feedback:
        notes.append("delayed one step")
    if edge.guards is not None:
        notes.append("filtered")
    return f"{direction}: {arrow} ({', '.join(notes)})"


def _setting(snapshot, symbol: Symbol) -> str | None:
    pattern, path = symbol.owner
    setting = snapshot.index.settings.get((pattern, path, symbol.name))
    node = snapshot.index.container(pattern, path)
    if setting is None or node is None:
        return None
    parts = [_code(f"{setting.name} = {format_expr(setting.value)}")]
    kind = {Roles.FEATURE: "a feature", Roles.CLASSIFIER: "the regime"}.get(node.role, "a setting")
    parts.append(f"{kind} of the {node.role} container `{path}` (pattern `{pattern}`)")
    if node.role in (Roles.FEATURE, Roles.CLASSIFIER):
        event = Events.FEATURE if node.role == Roles.FEATURE else Events.REGIME
        reads = sum(not o.definition for o in snapshot.index.references(symbol))
        parts.append(f"delivered by its {event} events; read {reads} time{'s' if reads != 1 else ''}"
                     if reads else f"delivered by its {event} events; nothing reads it")
    return "\n\n".join(parts)


def _param(snapshot, symbol: Symbol) -> str | None:
    decl = snapshot.scope.params.get(symbol.name)
    if decl is None:
        return None
    head = f"param {decl.name}: {decl.type.name}" + (f" = {format_expr(decl.default)}" if decl.default else "")
    parts = [_code(head), f"declared at {_where(decl.span)}"]
    if decl.default is None:
        parts.append("no default: give one with `--set` or a sweep")
    sweeps = [(name, item) for name, wf in snapshot.scope.workflows.items() for item in wf.items
              if isinstance(item, ast.Sweep) and item.param == decl.name]
    if sweeps:
        parts.append("swept in:\n" + "\n".join(f"- workflow `{name}`: `sweep {item.param} in "
                                               f"{format_expr(item.values)}`" for name, item in sweeps))
    else:
        parts.append("not swept; override it with `flowc run --set " + decl.name + "=VALUE`")
    return "\n\n".join(parts)


def _event(snapshot, symbol: Symbol) -> str | None:
    event = snapshot.scope.events.get(symbol.name)
    if event is None:
        return None
    fields = ", ".join(f"`{f}`" for f in event.fields)
    parts = [_code(f"event {event.name}"), f"fields: {fields}" if fields else "fields: named by its producer"]
    if event.builtin:
        parts.append(f"built in: {EVENT_NOTES.get(event.name, '')}; every event also carries its step and symbol")
    else:
        decl = next((d for m in snapshot.sources.modules.values() for d in m.declarations
                     if isinstance(d, ast.EventDecl) and d.name == event.name), None)
        if decl is not None:
            parts[1] = "fields: " + ", ".join(f"`{f.name}: {f.type.name}`" for f in decl.fields)
            parts.append(f"declared at {_where(decl.span)}")
    producers = sorted(r.name for r in snapshot.scope.roles.values() if event.name in r.produces)
    consumers = sorted(r.name for r in snapshot.scope.roles.values() if event.name in r.consumes)
    parts.append(f"produced by the roles {_names(producers)}; consumed by {_names(consumers)}")
    return "\n\n".join(parts)


def _names(names) -> str:
    return ", ".join(f"`{n}`" for n in names) or "none"


def _field(snapshot, symbol: Symbol) -> str:
    (event,) = symbol.owner
    note = "(f64)" if event == Events.BAR else ""
    return f"{_code(symbol.name)}\n\na field of `{event}` {note}".rstrip()


def _role(snapshot, symbol: Symbol) -> str | None:
    role = snapshot.scope.roles.get(symbol.name)
    if role is None:
        return None
    parts = [_code(f"role {role.name}")]
    if role.routes:
        parts.append(f"consumes {_events(role.consumes)}; produces {_events(role.produces)}")
    else:
        parts.append("holds children; takes no part in routing")
    settings = ROLE_SETTINGS.get(role.name, "user")
    if settings is None:
        parts.append("settings: any names" if role.name == Roles.FEATURE else "settings: one, the regime it produces")
    elif settings != "user" and settings:
        required = REQUIRED_SETTINGS.get(role.name, ())
        parts.append("settings: " + ", ".join(f"`{s}`" + (" (required)" if s in required else "")
                                              for s in sorted(settings)))
    return "\n\n".join(parts)


def _pattern(snapshot, symbol: Symbol) -> str | None:
    table = snapshot.scope.containers if symbol.kind == "containers" else snapshot.scope.communications
    decl = table.get(symbol.name)
    if decl is None:
        return None
    kind = "container pattern" if symbol.kind == "containers" else "communication pattern"
    users = (snapshot.workflows_of_pattern(symbol.name) if symbol.kind == "containers"
             else snapshot.workflows_of_communication(symbol.name))
    return "\n\n".join([_code(f"{symbol.kind} {symbol.name}"), f"{kind} declared at {_where(decl.span)}",
                        f"used by the workflows {_names(users)}"])


def _workflow(snapshot, symbol: Symbol) -> str | None:
    decl = snapshot.scope.workflows.get(symbol.name)
    if decl is None:
        return None
    head = f'workflow {decl.name}' + (f' "{decl.description}"' if decl.description else "")
    body = "\n".join(f"    {i.name} = {format_expr(i.value)}" for i in decl.items if isinstance(i, ast.WorkflowSetting))
    return "\n\n".join([_code(f"{head} {{\n{body}\n}}"), f"declared at {_where(decl.span)}"])


def _file(snapshot, symbol: Symbol) -> str:
    module = snapshot.sources.modules.get(symbol.name)
    if module is None:
        return f"`{symbol.name}`: not loaded (see the diagnostics)"
    kinds: dict[str, int] = {}
    for decl in module.declarations:
        kind = type(decl).__name__.removesuffix("Decl").lower()
        kinds[kind] = kinds.get(kind, 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in kinds.items()) or "nothing"
    return f"`{symbol.name}`\n\ndeclares {summary}"
