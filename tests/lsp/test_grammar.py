"""The TextMate grammar of `editors/` tokenises every example with no gaps and no invalid characters.

The tokenizer below is the TextMate algorithm in a few lines, with Python's `re`
for Oniguruma (the grammar keeps to the syntax both share): at each position the
rule whose match starts first wins, ties go to the rule listed first; `begin`/`end`
rules push a state that lasts across lines; `include` pulls in a repository entry.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from flowc.dsl.loader import std_files
from tests.conftest import EXAMPLES, ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from parse_speed import generate

GRAMMAR_PATH = ROOT / "editors" / "flow.tmLanguage.json"
GRAMMAR = json.loads(GRAMMAR_PATH.read_text(encoding="utf-8"))
STD = ROOT / "dsl" / "std"
FILES = sorted(EXAMPLES.glob("*.flow")) + [STD / n.removeprefix("std/") for n in std_files()] + sorted(
    (ROOT / "tests" / "fixtures" / "fmt").glob("*.expected.flow"))


def _rules(patterns: list[dict]) -> list[dict]:
    out = []
    for rule in patterns:
        if "include" in rule:
            name = rule["include"]
            included = GRAMMAR if name == "$self" else GRAMMAR["repository"][name.removeprefix("#")]
            out += _rules(included["patterns"]) if "patterns" in included and "match" not in included \
                and "begin" not in included else [included]
        else:
            out.append(rule)
    return out


_compiled: dict[str, re.Pattern] = {}


def _re(source: str) -> re.Pattern:
    if source not in _compiled:
        _compiled[source] = re.compile(source)
    return _compiled[source]


def tokenize(text: str) -> list[list[tuple[int, int, tuple[str, ...]]]]:
    """Per line, the tokens (start, end, scopes) the grammar gives."""
    stack: list[dict] = []  # open begin/end rules
    lines = []
    for line in text.split("\n"):
        line += "\n"
        tokens, pos = [], 0
        while pos < len(line):
            scopes = ("source.flow", *(r["name"] for r in stack if "name" in r))
            patterns = _rules(stack[-1].get("patterns", []) if stack else GRAMMAR["patterns"])
            best, best_rule, is_end = None, None, False
            if stack:
                end = _re(stack[-1]["end"]).search(line, pos)
                if end is not None:
                    best, is_end = end, True
            for rule in patterns:
                found = _re(rule.get("match") or rule["begin"]).search(line, pos)
                if found is not None and (best is None or found.start() < best.start()):
                    best, best_rule, is_end = found, rule, False
            if best is None:
                tokens.append((pos, len(line), scopes))
                break
            if best.start() > pos:
                tokens.append((pos, best.start(), scopes))
            if is_end:
                rule = stack.pop()
                tokens += _captured(best, (*scopes,), rule.get("endCaptures", {}))
            elif "begin" in best_rule:
                inner = (*scopes, best_rule["name"]) if "name" in best_rule else scopes
                tokens += _captured(best, inner, best_rule.get("beginCaptures", {}))
                stack.append(best_rule)
            else:
                inner = (*scopes, best_rule["name"]) if "name" in best_rule else scopes
                tokens += _captured(best, inner, best_rule.get("captures", {}))
            if best.end() == pos and "begin" not in (best_rule or {}):
                pos += 1  # an empty match: move on, as TextMate does
            else:
                pos = max(pos, best.end())
        lines.append(tokens)
    return lines


def _captured(match: re.Match, scopes: tuple[str, ...], captures: dict) -> list:
    out = [(match.start(), match.end(), scopes)]
    for group, capture in captures.items():
        group = int(group)
        if group == 0:
            out = [(match.start(), match.end(), (*scopes, capture["name"]))]
        elif match.start(group) >= 0 and match.start(group) < match.end(group):
            out.append((match.start(group), match.end(group), (*scopes, capture["name"])))
    return out


def gaps(text: str) -> list[str]:
    """Each non-blank character that only the root scope covers, or that the grammar calls invalid."""
    problems = []
    for number, (line, tokens) in enumerate(zip(text.split("\n"), tokenize(text), strict=True), 1):
        for column, ch in enumerate(line):
            if ch.isspace():
                continue
            scopes = set()
            for start, end, names in tokens:
                if start <= column < end and len(names) > 1:
                    scopes.update(names[1:])
            if not scopes or any(s.startswith("invalid.") for s in scopes):
                problems.append(f"{number}:{column + 1} {ch!r} in {line.strip()!r}: {sorted(scopes)}")
    return problems


def scopes_at(text: str, needle: str) -> set[str]:
    line_no = text[:text.index(needle)].count("\n")
    column = text.index(needle) - (text.rfind("\n", 0, text.index(needle)) + 1)
    return {s for start, end, names in tokenize(text)[line_no] if start <= column < end for s in names}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_example_tokenises_without_gaps(path):
    assert gaps(path.read_text(encoding="utf-8")) == []


def test_a_large_generated_file_tokenises_without_gaps():
    assert gaps(generate(1000)) == []


def test_the_tokens_name_what_the_text_is():
    text = (EXAMPLES / "full_backtest.flow").read_text(encoding="utf-8")
    assert "comment.line.number-sign.flow" in scopes_at(text, "# The design")
    assert "keyword.other.param.flow" in scopes_at(text, "param fast")
    assert "entity.name.type.pattern.flow" in scopes_at(text, "full_backtest {")
    assert "entity.name.section.container.flow" in scopes_at(text, "classifier: classifier")
    assert "support.type.role.flow" in scopes_at(text, "strategy {")
    assert "support.function.component.flow" in scopes_at(text, "threshold_regime(")
    assert "keyword.control.adapter.flow" in scopes_at(text, "hierarchical classifier")
    assert "support.constant.event.flow" in scopes_at(text, "SIGNAL")
    assert "string.quoted.double.flow" in scopes_at(text, '"sp500"')
    assert "constant.numeric.flow" in scopes_at(text, "0.015")
    assert "keyword.operator.arrow.flow" in scopes_at(text, "-> features")


def test_an_unterminated_string_ends_with_its_line():
    text = 'param s: str = "open\nparam n: int = 1\n'
    assert "string.quoted.double.flow" not in scopes_at(text, "param n")
    assert gaps('x = "a \\" b"') == []


def test_the_vscode_extension_points_at_the_grammar():
    manifest = json.loads((ROOT / "editors" / "vscode" / "package.json").read_text(encoding="utf-8"))
    (grammar,) = manifest["contributes"]["grammars"]
    assert grammar["scopeName"] == GRAMMAR["scopeName"]
    path = ROOT / "editors" / "vscode" / grammar["path"]
    assert json.loads(path.read_text(encoding="utf-8")) == GRAMMAR
    (language,) = manifest["contributes"]["languages"]
    assert language["extensions"] == [".flow"]
    assert Path(ROOT / "editors" / "vscode" / language["configuration"]).is_file()
