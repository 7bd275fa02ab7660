"""The workflow's topology laid out once, drawn as inline SVG (the HTML page) and with matplotlib (PNG).

The layout needs no external tool and no network: containers in columns by their depth in the
feedback-free graph (networkx's topological generations), in declaration order within a column.
Routes are cubic curves: to the next column a gentle S, across columns an arc above, feedback
routes (drawn dashed) an arc below back to their target. Parallel routes of one source and target
are one arrow labelled with all their events, as in `flowc graph`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import networkx as nx

from flowc.compiler.export import predicate_text
from flowc.compiler.graph import FlowGraph
from flowc.compiler.schema import Events, Roles

BOX_W, BOX_H = 150.0, 46.0
COLUMN, ROW = 205.0, 84.0
MARGIN = 30.0
ROLE_COLORS = {Roles.DATA: "#e8f1fb", Roles.FEATURE: "#eaf6ea", Roles.CLASSIFIER: "#fdf3e1", Roles.STRATEGY: "#fbe9ec",
               Roles.RISK: "#efe9f8", Roles.EXECUTION: "#e9f6f6", Roles.PORTFOLIO: "#f1f1f1"}

Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    path: str
    name: str
    role: str
    x: float  # centre
    y: float


@dataclass(frozen=True)
class Arrow:
    source: str
    target: str
    feedback: bool
    label: str
    curve: tuple[Point, Point, Point, Point]  # a cubic Bézier, start to end

    @property
    def middle(self) -> Point:
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = self.curve
        return (x0 + 3 * x1 + 3 * x2 + x3) / 8.0, (y0 + 3 * y1 + 3 * y2 + y3) / 8.0


@dataclass(frozen=True)
class Drawing:
    width: float
    height: float
    boxes: tuple[Box, ...]
    arrows: tuple[Arrow, ...]


def _labels(graph: FlowGraph) -> dict[tuple[str, str, bool], str]:
    merged: dict[tuple[str, str, bool], dict[str | None, list[str]]] = {}
    for edge in graph.edges():
        groups = merged.setdefault((edge.source, edge.target, edge.feedback), {})
        groups.setdefault(predicate_text(edge), []).append(edge.event)
    return {key: "; ".join(", ".join(events) + (f" when {p}" if p else "") for p, events in groups.items())
            for key, groups in merged.items()}


def layout(graph: FlowGraph) -> Drawing:
    order = {path: i for i, path in enumerate(graph.nodes)}
    columns = [sorted(gen, key=order.__getitem__) for gen in nx.topological_generations(graph.forward_graph())]
    tallest = max((len(c) for c in columns), default=1)
    column_of, place = {}, {}
    for c, members in enumerate(columns):
        for i, path in enumerate(members):
            column_of[path] = c
            x = MARGIN + BOX_W / 2 + c * COLUMN
            y = MARGIN + 70 + BOX_H / 2 + (i + (tallest - len(members)) / 2) * ROW
            place[path] = (x, y)
    boxes = tuple(Box(path, graph.container(path).name, graph.role(path), *place[path]) for path in graph.nodes)
    arrows = []
    lowest = max((y for _, y in place.values()), default=0.0) + BOX_H / 2
    below = 0.0
    for (source, target, feedback), label in _labels(graph).items():
        (sx, sy), (tx, ty) = place[source], place[target]
        span = abs(column_of[target] - column_of[source])
        if feedback or column_of[target] <= column_of[source]:
            dip = 36.0 + 14.0 * span
            start, end = (sx, sy + BOX_H / 2), (tx, ty + BOX_H / 2)
            curve = (start, (sx, start[1] + dip), (tx, end[1] + dip), end)
            below = max(below, max(start[1], end[1]) + dip * 0.75 - lowest)
        else:
            start, end = (sx + BOX_W / 2, sy), (tx - BOX_W / 2, ty)
            if span <= 1:
                bend = (end[0] - start[0]) / 2
                curve = (start, (start[0] + bend, sy), (end[0] - bend, ty), end)
            else:  # across columns: from the top of the source over the others to the top of the target
                lift = 30.0 + 16.0 * (span - 1)
                start, end = (sx + BOX_W / 4, sy - BOX_H / 2), (tx - BOX_W / 4, ty - BOX_H / 2)
                curve = (start, (start[0] + 30, start[1] - lift), (end[0] - 30, end[1] - lift), end)
        arrows.append(Arrow(source, target, feedback, label, curve))
    width = MARGIN * 2 + BOX_W + max(len(columns) - 1, 0) * COLUMN
    height = lowest + below + MARGIN + 20
    return Drawing(width, height, boxes, tuple(arrows))


# ---- SVG ----------------------------------------------------------------------------------


def to_svg(drawing: Drawing) -> str:
    """A standalone `<svg>` element (no scripts, no external references)."""
    e = html.escape
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="topology" width="100%" '
             f'style="max-width: {drawing.width:.0f}px; height: auto" '
             f'viewBox="0 0 {drawing.width:.0f} {drawing.height:.0f}" font-family="Helvetica, Arial, sans-serif">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>']
    for arrow in drawing.arrows:
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = arrow.curve
        dash = ' stroke-dasharray="6 4"' if arrow.feedback else ""
        color = "#9a9a9a" if arrow.label == Events.BAR else "#555"
        parts.append(f'<path class="route" d="M{x0:.1f},{y0:.1f} C{x1:.1f},{y1:.1f} {x2:.1f},{y2:.1f} '
                     f'{x3:.1f},{y3:.1f}" fill="none" stroke="{color}" stroke-width="1.4"{dash} '
                     f'marker-end="url(#arrow)"><title>{e(arrow.source)} → {e(arrow.target)}: {e(arrow.label)}'
                     f'</title></path>')
        mx, my = arrow.middle
        parts.append(f'<text x="{mx:.1f}" y="{my - 4:.1f}" font-size="10" text-anchor="middle" fill="#333" '
                     f'paint-order="stroke" stroke="#fff" stroke-width="3">{e(arrow.label)}</text>')
    for box in drawing.boxes:
        x, y = box.x - BOX_W / 2, box.y - BOX_H / 2
        fill = ROLE_COLORS.get(box.role, "#ffffff")
        parts.append(f'<g class="container"><rect x="{x:.1f}" y="{y:.1f}" width="{BOX_W:.0f}" height="{BOX_H:.0f}" '
                     f'rx="7" fill="{fill}" stroke="#444" stroke-width="1.2"/>'
                     f'<text x="{box.x:.1f}" y="{box.y - 3:.1f}" font-size="13" font-weight="bold" '
                     f'text-anchor="middle">{e(box.path)}</text>'
                     f'<text x="{box.x:.1f}" y="{box.y + 13:.1f}" font-size="11" fill="#555" '
                     f'text-anchor="middle">{e(box.role)}</text></g>')
    parts.append("</svg>")
    return "\n".join(parts)


# ---- matplotlib ------------------------------------------------------------------------------


def draw(ax, drawing: Drawing) -> None:
    """The same drawing on a matplotlib Axes (pixel units, y down)."""
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
    from matplotlib.path import Path as MplPath

    ax.set_xlim(0, drawing.width)
    ax.set_ylim(drawing.height, 0)
    ax.set_aspect("equal")
    ax.axis("off")
    for arrow in drawing.arrows:
        path = MplPath(list(arrow.curve), [MplPath.MOVETO, MplPath.CURVE4, MplPath.CURVE4, MplPath.CURVE4])
        color = "#9a9a9a" if arrow.label == Events.BAR else "#555555"
        ax.add_patch(FancyArrowPatch(path=path, arrowstyle="-|>", mutation_scale=11, color=color, linewidth=1.1,
                                     linestyle="--" if arrow.feedback else "-"))
        mx, my = arrow.middle
        ax.text(mx, my - 4, arrow.label, fontsize=7, ha="center", va="bottom", color="#333333",
                bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8})
    for box in drawing.boxes:
        ax.add_patch(FancyBboxPatch((box.x - BOX_W / 2, box.y - BOX_H / 2), BOX_W, BOX_H,
                                    boxstyle="round,pad=0,rounding_size=7", fc=ROLE_COLORS.get(box.role, "white"),
                                    ec="#444444", linewidth=1.0))
        ax.text(box.x, box.y - 3, box.path, fontsize=9, fontweight="bold", ha="center", va="bottom")
        ax.text(box.x, box.y + 4, box.role, fontsize=8, color="#555555", ha="center", va="top")
