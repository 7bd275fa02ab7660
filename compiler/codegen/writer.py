"""Lines of generated source, indented by blocks (`with w.indent():`)."""

from __future__ import annotations


class Writer:
    def __init__(self, depth: int = 0) -> None:
        self.lines: list[str] = []
        self.depth = depth

    def __call__(self, line: str = "") -> None:
        self.lines.append(("    " * self.depth + line) if line else "")

    def indent(self) -> _Indent:
        return _Indent(self)


class _Indent:
    def __init__(self, w: Writer):
        self.w = w

    def __enter__(self) -> None:
        self.w.depth += 1

    def __exit__(self, *exc: object) -> None:
        self.w.depth -= 1
