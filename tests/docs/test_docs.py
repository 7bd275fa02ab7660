"""The documentation runs: every ```flow block of docs/*.md and README.md, and the `flowc` commands.

How a page is read, top to bottom, in a fresh working directory holding a copy of `examples/`
(so a page is followed the way a reader follows it):

- ```` ```flow ```` is a complete file. It is written to the working directory (as the name
  given by `file=NAME` in the fence's info string, else a scratch name), parsed and linted: it
  must give no diagnostic at all, or exactly the codes listed by `expect=CODE,CODE`. If it
  declares workflows of its own and lints clean, each runs once in the reference engine (a
  sweep at its first point), so an example can never drift from what runs.
- ```` ```python file=NAME ```` and ```` ```csv file=NAME ```` are written to the working
  directory (a plugin, a data file);
  ```` ```python run ```` is executed, the page's `run` blocks one after the other in one
  namespace (docs/api.md, a notebook's cells); other ```` ```python ```` blocks are not run.
- ```` ```sh ```` lines that start with `flowc` run through `flowc.tools.cli.main`, in the
  working directory; a trailing `# exit N` says which exit code the line must give (0
  otherwise). Other lines (`pip install ...`) are not run. Lines whose command would be slow
  (`flowc lsp`, `--executor dask...`) are not run.

Two tables are generated from the code and checked here: the component table of
docs/language.md (from `flowc.compiler.components.BUILTIN`) and the code table of docs/rules.md
(from `flowc.dsl.codes.RULES`). `python -m tests.docs.test_docs` prints both, to paste.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from flowc.compiler import components as comp
from flowc.compiler.lint import PASSES
from flowc.dsl import ast
from flowc.dsl.codes import RULES
from flowc.dsl.loader import load
from flowc.runtime.metrics import METRIC_KEYS

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = [*sorted(DOCS.glob("*.md")), ROOT / "README.md"]
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.M | re.S)
NOT_RUN = ("flowc lsp", "--executor dask", "--executor tcp")


@dataclass
class Block:
    page: Path
    line: int
    lang: str
    options: dict[str, str]
    text: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


@dataclass
class Page:
    path: Path
    blocks: list[Block] = field(default_factory=list)


def blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    found = []
    for m in FENCE.finditer(text):
        info = m.group(1).split()
        lang = info[0] if info else ""
        options = dict(o.split("=", 1) if "=" in o else (o, "") for o in info[1:])
        found.append(Block(path, text.count("\n", 0, m.start()) + 1, lang, options, m.group(2)))
    return found


# ---- the tables generated from the code -------------------------------------------------------


_WHERE = {"feature": "feature, classifier, strategy, risk settings", "classifier": "classifier, strategy settings",
          "strategy": "strategy settings"}


def component_table() -> str:
    """The component table of docs/language.md, section 8: every built-in contract, in order."""
    rows: dict[tuple[str, str, str, str], list[str]] = {}  # one row for a contract several roles share
    for c in comp.BUILTIN:
        reads = ", ".join(f"`{f}`" for f in c.reads)
        definition = f"{c.summary}: {c.definition}" if c.definition else c.summary
        rows.setdefault((c.signature, c.setting, reads, definition), []).append(c.role)
    lines = ["| component | where | reads | definition |", "|---|---|---|---|"]
    for (signature, setting, reads, definition), roles in rows.items():
        where = _WHERE[roles[0]] if setting == comp.ANY_SETTING else f"{', '.join(roles)} `{setting}`"
        lines.append(f"| `{signature}` | {where} | {reads} | {definition} |")
    return "\n".join(lines) + "\n"


_GROUPS = {"1": "Syntax (FL1xx)", "2": "Names and imports (FL2xx)", "3": "Roles and events (FL3xx)",
           "4": "Graph structure (FL4xx)", "5": "Parameters, settings and components (FL5xx)",
           "6": "Data and run time (FL6xx)", "9": "Style (FL9xx)"}


def rules_table() -> str:
    """The code tables of docs/rules.md: one per group, every code linked to its page."""
    out: list[str] = []
    for digit, title in _GROUPS.items():
        out += [f"### {title}", "", "| code | name | severity | what it reports |", "|---|---|---|---|"]
        for rule in RULES.values():
            if rule.code[2] == digit:
                out.append(f"| [{rule.code}](../dsl/rules/{rule.code}.md) | `{rule.name}` | "
                           f"{rule.severity.value} | {rule.summary} |")
        out.append("")
    return "\n".join(out)


def _between(path: Path, marker: str) -> str:
    text = path.read_text(encoding="utf-8")
    m = re.search(rf"<!-- {marker}:start[^>]*-->\n(.*?)<!-- {marker}:end -->", text, re.S)
    assert m, f"{path.name} has no `<!-- {marker}:start -->` ... `<!-- {marker}:end -->` section"
    return m.group(1)


def test_the_component_table_is_the_contracts():
    assert _between(DOCS / "language.md", "components") == component_table(), \
        "docs/language.md, section 8, differs from the contracts: paste `python -m tests.docs.test_docs components`"


def test_the_rules_index_lists_every_code_and_links_its_page():
    assert _between(DOCS / "rules.md", "rules") == rules_table(), \
        "docs/rules.md differs from flowc.dsl.codes: paste `python -m tests.docs.test_docs rules`"
    for code in RULES:
        assert (ROOT / "dsl" / "rules" / f"{code}.md").is_file(), code


def test_the_metrics_table_defines_every_metric():
    text = (DOCS / "language.md").read_text(encoding="utf-8")
    section = text[text.index("## 11. Metrics"):text.index("## 12.")]
    table = section[section.index("| metric | definition |"):].split("\n\n")[0]
    defined = re.findall(r"^\| `(\w+)` \|", table, re.M)
    assert defined == list(METRIC_KEYS)


def test_every_setting_of_every_role_is_documented():
    from flowc.compiler.schema import ROLE_SETTINGS

    text = (DOCS / "language.md").read_text(encoding="utf-8")
    table = text[text.index("| role | settings |"):text.index("The values of risk")]
    for role, settings in ROLE_SETTINGS.items():
        if role == "backtest":
            continue
        row = next(line for line in table.splitlines() if line.startswith(f"| `{role}` |"))
        for setting in settings or ():
            assert f"`{setting}" in row, (role, setting)


def test_links_between_pages_resolve():
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{page.name} links to {target}, which does not exist"


# ---- the blocks -------------------------------------------------------------------------------


def _declared_workflows(path: Path) -> list[str]:
    module = load(path).main_module
    assert module is not None
    return [d.name for d in module.declarations if isinstance(d, ast.WorkflowDecl)]


def _check_flow(block: Block, path: Path) -> None:
    from flowc.tools.commands.lint import lint_file

    if "plugin" in block.options:
        from flowc.runtime.components import load_plugins

        load_plugins(block.options["plugin"].split(","))
    loaded = load(path)
    found = lint_file(loaded, (), PASSES)
    expected = sorted(c for c in block.options.get("expect", "").split(",") if c)
    got = sorted({d.code for d in found})
    assert got == expected, f"{block.where}: lint gives {[(d.code, d.message) for d in found]}"
    if expected:
        return
    from flowc.runtime.manager import prepare, run_prepared

    for workflow in _declared_workflows(path):
        prepared = prepare(path, workflow)
        first = {s.param: s.values[0] for s in prepared.analysis.sweeps}
        ledger = run_prepared(prepared, first, engine="reference")
        assert len(ledger.equity) == prepared.market.n_steps, block.where


def _run_sh(block: Block, cwd: Path, capsys) -> None:
    from flowc.tools.cli import main

    for number, line in enumerate(block.text.splitlines()):
        line = line.strip()
        if not line.startswith("flowc ") or any(slow in line for slow in NOT_RUN):
            continue
        expected = 0
        m = re.search(r"#\s*exit\s+(\d+)\s*$", line)
        if m:
            expected = int(m.group(1))
        words = shlex.split(line, comments=True)[1:]
        try:
            code = main(words)
        except SystemExit as exc:  # argparse's --version and --help
            code = exc.code or 0
        out = capsys.readouterr()
        assert code == expected, (f"{block.where}+{number + 1}: `{line}` exited {code}, not {expected}\n"
                                  f"{out.out[-2000:]}{out.err[-2000:]}")
        assert "Traceback" not in out.err, f"{block.where}: `{line}`\n{out.err}"


@contextlib.contextmanager
def _inside(folder: Path):
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_example_of_the_page_runs(page: Path, tmp_path: Path, capsys, monkeypatch):
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.setattr(sys, "path", list(sys.path))  # plugins a page loads add their folder: undone after
    monkeypatch.setattr(comp, "_registry", dict(comp._registry))  # and the components they register
    modules = set(sys.modules)
    try:
        _follow(page, tmp_path, capsys)
    finally:
        for name in set(sys.modules) - modules:
            if str(tmp_path) in str(getattr(sys.modules[name], "__file__", "") or ""):
                del sys.modules[name]


def _follow(page: Path, tmp_path: Path, capsys) -> None:
    cells: dict[str, object] = {"__name__": "__page__"}
    with _inside(tmp_path):
        for block in blocks(page):
            if block.lang == "flow":
                path = tmp_path / block.options.get("file", f"example_{block.line}.flow")
                path.write_text(block.text, encoding="utf-8")
                _check_flow(block, path)
            elif block.lang in ("python", "csv") and "file" in block.options:
                (tmp_path / block.options["file"]).write_text(block.text, encoding="utf-8")
            elif block.lang == "python" and "run" in block.options:
                exec(compile(block.text, block.where, "exec"), cells)
            elif block.lang == "sh":
                _run_sh(block, tmp_path, capsys)


def test_the_pages_have_examples():
    counts = {p.name: sum(b.lang == "flow" for b in blocks(p)) for p in PAGES}
    assert counts["language.md"] >= 6 and counts["tutorial.md"] >= 3, counts


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else ""
    if which in ("", "components"):
        sys.stdout.write(component_table())
    if which in ("", "rules"):
        sys.stdout.write(rules_table())
