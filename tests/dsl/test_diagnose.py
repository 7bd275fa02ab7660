"""One definition per diagnostic code: `flowc.dsl.codes` holds each code's name, severity and message template.

Every diagnostic is made by `diagnose(code, span, hint, **fields)`, which takes the severity and
the template from the table. An AST scan of the four packages checks that no call site passes or
chooses a severity (no `Diagnostic(...)`, `error(...)`, `warning(...)`, `Severity.X`, nor
`severity=` to `replace` or `diagnose`, outside `dsl/diagnostics.py` and `dsl/codes.py`), and
that each `diagnose` call with a literal code names a code of the table and gives exactly the
fields of its template. That every code has a page and every page a code is
`tests/dsl/test_syntax_errors.py`'s; that each page's example gives its code is
`tests/docs/test_rule_examples.py`'s.
"""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from flowc.dsl.codes import DETAIL, RULES
from flowc.dsl.diagnostics import diagnose

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("dsl", "compiler", "runtime", "tools")
ALLOWED = {ROOT / "dsl" / "diagnostics.py", ROOT / "dsl" / "codes.py"}
FORBIDDEN_CALLS = {"Diagnostic", "error", "warning"}


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def sources() -> list[Path]:
    return [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py")) if p not in ALLOWED]


@pytest.mark.parametrize("code", sorted(RULES))
def test_a_code_makes_its_diagnostic_from_the_table(code: str):
    rule = RULES[code]
    assert rule.code == code and rule.message.strip() == rule.message and rule.message
    values = {name: f"<{name}>" for name in fields(rule.message)}
    d = diagnose(code, None, "a hint", **values)
    assert (d.code, d.severity, d.hint) == (code, rule.severity, "a hint")
    assert d.message == rule.message.format(**values)
    if rule.message != DETAIL:
        assert "detail" not in fields(rule.message), f"{code}: a named template has no `detail` field"


def test_a_missing_field_or_an_unknown_code_is_a_bug():
    with pytest.raises(KeyError):
        diagnose("FL404", None, path="p", role="r")  # no `event`
    with pytest.raises(KeyError):
        diagnose("FL999", None, detail="no such code")


def _calls(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node


def test_no_call_site_passes_or_chooses_a_severity():
    found = []
    for path in sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
                if isinstance(node.func, ast.Name) and name in FORBIDDEN_CALLS:
                    found.append(f"{where}:{node.lineno} {name}(...)")
                if name in ("replace", "diagnose"):  # (lsp.Diagnostic's severity= translates ours: not flagged)
                    found += [f"{where}:{node.lineno} severity=" for k in node.keywords if k.arg == "severity"]
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "Severity":
                found.append(f"{where}:{node.lineno} Severity.{node.attr}")
    assert not found, f"make diagnostics with `diagnose`; the severity is the table's: {found}"


def test_every_diagnose_call_gives_the_fields_of_its_template():
    wrong = []
    for path in sources():
        for node in _calls(path):
            if not (isinstance(node.func, ast.Name) and node.func.id == "diagnose" and node.args):
                continue
            code = node.args[0]
            if not isinstance(code, ast.Constant):
                continue  # a helper that passes its caller's code: `detail=`, checked when it runs
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if code.value not in RULES:
                wrong.append(f"{where}: unknown code {code.value}")
                continue
            given = {k.arg for k in node.keywords} - {"span", "hint", "fix"}
            if given != fields(RULES[code.value].message):
                wrong.append(f"{where}: {code.value} takes {sorted(fields(RULES[code.value].message))}, "
                             f"given {sorted(given)}")
    assert not wrong, wrong
