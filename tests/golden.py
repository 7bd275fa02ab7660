"""Golden files of the artifacts back-end work depends on: the plan and the generated program of every example.

For each workflow declared in `examples/*.flow`, `tests/fixtures/golden/` holds

- `<example>.plan.txt`: `flowc compile --emit plan` (the readable plan, after every optimisation pass);
- `<example>.py`: `flowc compile --emit py` (the generated `@njit` program);
- `<example>.one_symbol.py`: the program specialised for data of one symbol (`codegen.one_symbol`);

named `<example>.<workflow>.*` when a file declares more than one workflow. `tests/test_golden.py`
compares them, so a change to the planner, an optimisation pass or code generation shows in the
review as a diff of these files. After a change that is meant to alter them, regenerate them all
with one command, from the repository root, and commit the result with the change:

    python -m tests.golden --update

Without `--update` it prints which files differ and exits 1 (what the test checks). Nothing here
imports numba: the files are the compiler's output, not a run's.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
GOLDEN = ROOT / "tests" / "fixtures" / "golden"
COMMAND = "python -m tests.golden --update"


def workflows(example: Path) -> list[str]:
    """The workflows the example file itself declares (not those it imports), in order."""
    from flowc.compiler.scope import collect
    from flowc.compiler.workflow import workflows_in
    from flowc.dsl.loader import load

    sources = load(example)
    return workflows_in(sources, collect(sources), sources.main)


def artifacts() -> dict[str, str]:
    """Golden file name -> its expected text, for every workflow of every example."""
    from flowc.compiler.codegen import generate
    from flowc.compiler.pipeline import compile_to
    from flowc.compiler.plan_text import plan_text

    out: dict[str, str] = {}
    for example in sorted(EXAMPLES.glob("*.flow")):
        names = workflows(example)
        for name in names:
            stem = example.stem if len(names) == 1 else f"{example.stem}.{name}"
            c = compile_to(example, "generate", workflow=name)
            if not c.ok or c.generate is None or c.optimise is None:
                raise AssertionError(f"{example.name} ({name}) does not compile: {[d.message for d in c.diagnostics]}")
            out[f"{stem}.plan.txt"] = plan_text(c.optimise, c.analyse)
            out[f"{stem}.py"] = c.generate.source
            out[f"{stem}.one_symbol.py"] = generate(c.optimise, one=True).source  # for data of one symbol
    return out


def stale(expected: dict[str, str]) -> dict[str, str]:
    """File name -> a unified diff (or a note) for every golden file that is missing, different or extra."""
    found = {}
    for name, text in expected.items():
        path = GOLDEN / name
        have = path.read_text(encoding="utf-8") if path.exists() else None
        if have != text:
            found[name] = "missing\n" if have is None else "".join(difflib.unified_diff(
                have.splitlines(keepends=True), text.splitlines(keepends=True), f"golden/{name}", "now"))
    for path in sorted(GOLDEN.glob("*")):
        if path.name not in expected:
            found[path.name] = "no example gives this file any more\n"
    return found


def update(expected: dict[str, str]) -> list[str]:
    """Write every golden file (and remove the extra ones); the names of those that changed."""
    changed = sorted(stale(expected))
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for path in GOLDEN.glob("*"):
        if path.name not in expected:
            path.unlink()
    for name, text in expected.items():
        (GOLDEN / name).write_text(text, encoding="utf-8", newline="\n")
    return changed


def main(argv: Sequence[str] = ()) -> int:
    expected = artifacts()
    if "--update" in argv:
        changed = update(expected)
        print(f"{len(expected)} golden files in {GOLDEN.relative_to(ROOT)}; "
              + (f"{len(changed)} changed: {', '.join(changed)}" if changed else "none changed"))
        return 0
    diffs = stale(expected)
    for name, diff in diffs.items():
        print(f"{name}: {diff}", end="")
    if diffs:
        print(f"{len(diffs)} golden files differ; if the change is meant, run `{COMMAND}`")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
