"""FL506: a param declared in the main file that nothing in the workflow reads and no sweep varies.

Usually a leftover, or a setting that was meant to use it. Trusted only when
binding succeeded (see `facts.usage_known`); across several workflows of one
file, `lint_workflows` keeps the warning only if every workflow agrees.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.compiler.lint.facts import usage_known
from flowc.compiler.workflow import Analysis
from flowc.dsl import ast
from flowc.dsl.diagnostics import Diagnostic, diagnose


def unused_param(analysis: Analysis) -> Iterator[Diagnostic]:
    module = analysis.sources.main_module
    if module is None or analysis.binding is None or not usage_known(analysis):
        return
    used = analysis.binding.used_params | {s.param for s in analysis.sweeps}
    for decl in module.declarations:
        if isinstance(decl, ast.Param) and decl.name not in used:
            yield diagnose("FL506", decl.span, "use it in a setting, sweep it, or remove it",
                           name=decl.name)
