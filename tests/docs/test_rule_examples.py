"""Every rule page's example is a test: the bad example produces exactly its code, the fix none.

A page `dsl/rules/CODE.md` is read the way `flowc rule CODE` shows it. Its `## Example` section
is the bad example and its `## Fix` section the good one; each is set up in a fresh working
directory and run:

- ```` ```flow ```` blocks are files, named by `file=NAME` in the fence's info string; an unnamed
  one is `example.flow`. ```` ```csv file=NAME ```` blocks are data files.
- ```` ```console ```` lines that start with `$ flowc` are the commands. Without one, the command
  is `flowc lint example.flow` (FL1xx to FL5xx and FL9xx). A data problem (FL6xx) shows with
  `flowc run`, which loads the data before it compiles anything.
- The fix starts from the example's files and commands and replaces what it shows: a fix that
  corrects the data needs only its ```` ```csv ```` block, one that corrects the command line only
  its ```` ```console ```` block.

The bad example must print diagnostics of exactly one code, the page's (`ALSO` lists the two
pages whose mistake cannot be shown without a consequence, and why), and exit 1 (an error) or 0 (a
warning); the fix must print no diagnostic and exit 0. `flowc run` lines run on the reference
engine with the inline executor (`--engine reference --executor inline` are added): the
checks are the same, and no numba compilation or process pool is paid for a documentation test.

The few codes whose example cannot be run are listed in `NOT_RUNNABLE`, each with the reason; a test
checks that their examples indeed do not give them, so the list cannot go stale silently.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from flowc.dsl.codes import RULES, rule_page

# Codes a page example cannot produce, and why.
NOT_RUNNABLE = {
    # The mistake is in the bytes, which a page of text cannot hold: the example shows the bytes.
    # tests/dsl/test_syntax_errors.py produces it from a Latin-1 fixture and from raw bytes.
    "FL104": "a file that is not UTF-8 cannot be shown as text",
    # 65 levels of nesting would bury the page; test_syntax_errors.py builds the input from MAX_NESTING.
    "FL109": "the example is 65 levels deep; the page shows it shortened",
    # Reserved: the compiled program reports no status yet that becomes a diagnostic (no code emits FL611).
    "FL611": "reserved for status codes of the compiled program; nothing reports one yet",
    # Reserved: `flowc fmt --check` reports an unformatted file by name and exit 1, without a diagnostic;
    # lint does not compare files with the formatter's output.
    "FL901": "reserved: `flowc fmt --check` reports such a file without a diagnostic code",
}

# Codes whose example also gives other codes, which are allowed alongside it (never instead of it).
ALSO = {
    # A container's role produces one event: when no route carries it, its output also reaches no
    # portfolio. FL403 alone is possible (output carried to a role that produces nothing), FL404 alone not.
    "FL404": {"FL403"},
    # The ambiguous route is dropped, so the container it should have connected is reported as
    # disconnected (FL403, FL404) too.
    "FL206": {"FL403", "FL404"},
}

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.M | re.S)
# `path:line:col: CODE message` or `CODE message`, as the text renderer prints a diagnostic.
PRINTED = re.compile(r"^(?:\S[^\n]*?:\d+:\d+: )?(FL\d{3}) ", re.M)
RUN_OPTIONS = ["--engine", "reference", "--executor", "inline"]  # not --quiet: it hides warnings
DEFAULT = "example.flow"


def section(page: str, title: str) -> str:
    start = page.index(f"\n{title}\n") + len(title) + 2
    end = page.find("\n## ", start)
    return page[start:] if end < 0 else page[start:end]


def setup(text: str, default: str = DEFAULT) -> tuple[dict[str, str], list[list[str]]]:
    """The files (name -> text) and the `flowc` commands (words after `flowc`) of a section."""
    files: dict[str, str] = {}
    commands: list[list[str]] = []
    for m in FENCE.finditer(text):
        info = m.group(1).split()
        lang = info[0] if info else ""
        options = dict(o.split("=", 1) for o in info[1:] if "=" in o)
        if lang == "flow":
            files[options.get("file", default)] = m.group(2)
        elif lang == "csv":
            assert "file" in options, "a ```csv block needs file=NAME"
            files[options["file"]] = m.group(2)
        elif lang == "console":
            for line in m.group(2).splitlines():
                if line.startswith("$ flowc "):
                    commands.append(shlex.split(line[2:], comments=True)[1:])
    return files, commands


def run(files: dict[str, str], commands: list[list[str]], folder: Path, capsys,
        monkeypatch) -> tuple[list[int], list[str], str]:
    """Exit codes, the codes of every printed diagnostic, and the whole output."""
    from flowc.tools.cli import main

    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(folder)
    exits, codes, output = [], [], ""
    for words in commands or [["lint", DEFAULT]]:
        if words[0] == "run":
            words = [*words, *RUN_OPTIONS]
        exits.append(main(words))
        out = capsys.readouterr()
        output += f"$ flowc {shlex.join(words)}\n{out.out}{out.err}"
        codes += PRINTED.findall(out.out) + PRINTED.findall(out.err)
    return exits, codes, output


@pytest.mark.parametrize("code", sorted(set(RULES) - set(NOT_RUNNABLE)))
def test_the_example_gives_exactly_its_code_and_the_fix_none(code: str, tmp_path: Path, capsys, monkeypatch):
    page = rule_page(code)
    assert page is not None
    files, commands = setup(section(page, "## Example"))
    assert files or commands, f"{code}: the example has no ```flow, ```csv or ```console block"
    exits, codes, output = run(files, commands, tmp_path / "bad", capsys, monkeypatch)
    assert code in codes and set(codes) <= {code, *ALSO.get(code, ())}, \
        f"{code}: the example gives {sorted(set(codes))}\n{output}"
    expected = 1 if RULES[code].severity.value == "error" else 0
    assert set(exits) == {expected}, f"{code}: exit codes {exits}\n{output}"
    assert "Traceback" not in output

    first = next((name for name in files if name.endswith(".flow")), DEFAULT)
    fixed_files, fixed_commands = setup(section(page, "## Fix"), default=first)
    assert fixed_files or fixed_commands, f"{code}: the fix has no ```flow, ```csv or ```console block"
    exits, codes, output = run({**files, **fixed_files}, fixed_commands or commands, tmp_path / "good",
                               capsys, monkeypatch)
    assert not codes, f"{code}: the fix gives {sorted(set(codes))}\n{output}"
    assert set(exits) == {0}, f"{code}: the fix exits {exits}\n{output}"


@pytest.mark.parametrize("code", sorted(NOT_RUNNABLE))
def test_an_exempt_code_is_one_its_example_cannot_give(code: str, tmp_path: Path, capsys, monkeypatch):
    assert code in RULES, f"{code} is exempt but not a code"
    page = rule_page(code)
    assert page is not None
    files, commands = setup(section(page, "## Example"))
    _, codes, _ = run(files, commands, tmp_path, capsys, monkeypatch)
    assert code not in codes, f"{code}: the example gives it now: take it off NOT_RUNNABLE"
