"""SARIF 2.1.0, the format code-scanning services read (GitHub, GitLab, Azure DevOps).

One run of the `flowc` tool; its rules are the whole catalogue of `codes.py`
in code order (so a rule's index never depends on which diagnostics were
found), and each diagnostic is a result with a physical location.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import quote

from flowc.dsl.codes import RULES
from flowc.dsl.diagnostics import Diagnostic, sort_key

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def render_sarif(diagnostics: Iterable[Diagnostic], tool_version: str) -> str:
    """A SARIF log of the diagnostics, as indented JSON text."""
    index = {code: i for i, code in enumerate(RULES)}
    rules = [{"id": r.code, "name": r.name, "shortDescription": {"text": r.summary},
              "defaultConfiguration": {"level": r.severity.value}} for r in RULES.values()]
    results = []
    for d in sorted(diagnostics, key=sort_key):
        result: dict = {"ruleId": d.code, "level": d.severity.value, "message": {"text": d.message}}
        if d.code in index:
            result["ruleIndex"] = index[d.code]
        if d.span is not None:
            span = d.span
            result["locations"] = [{"physicalLocation": {
                "artifactLocation": {"uri": quote(span.path.replace("\\", "/"), safe="/:._-~")},
                "region": {"startLine": max(span.line, 1), "startColumn": max(span.column, 1),
                           "endLine": max(span.end_line, 1), "endColumn": max(span.end_column, 1)},
            }}]
        if d.hint:
            result["properties"] = {"hint": d.hint}
        results.append(result)
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "flowc", "version": tool_version, "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(log, indent=2) + "\n"
