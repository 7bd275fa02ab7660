"""How fast `flowc lsp` answers, measured as an editor sees it: over stdio, on a generated 1,000-line file.

Target: every request answers within 200 ms. Each request is timed in three
states of the document: analysed (nothing changed since the last request), just
edited (a `didChange` right before the request, so the answer includes the parse
of the changed declaration), and broken (a syntax error in the middle of the
file). Diagnostics are timed from the edit to their publication, less the
debounce. The baseline, measured in the same run and process kind, is what a
server that re-ran `flowc lint` on each request would pay: `load_text` and
`lint_file` of the same text. Run:

    python benchmarks/lsp_latency.py [LINES] [RUNS]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from parse_speed import generate  # noqa: E402

from flowc.dsl.loader import load_text  # noqa: E402
from flowc.tools.commands.lint import lint_file  # noqa: E402
from tests.lsp.client import Client, position  # noqa: E402

TARGET_MS = 200.0
DEBOUNCE_MS = 250


def baseline(text: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        lint_file(load_text(text, "bench.flow"))
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def requests(client: Client, uri: str, text: str) -> dict[str, tuple[str, dict]]:
    """The requests to time, each at a place where it has something to do."""
    doc = {"textDocument": {"uri": uri}}

    def at(needle: str, delta: int, occurrence: int = 7) -> dict:
        return client.at(uri, *position(text, needle, delta, occurrence))

    line = position(text, "size = percent_equity", 0, 7)[0]
    return {
        "hover container": ("textDocument/hover", at("risk_spx, risk_ndx -> execution", 1)),
        "hover component": ("textDocument/hover", at("threshold_regime(", 2)),
        "hover param": ("textDocument/hover", at("sweep fast_", 7)),
        "definition feature": ("textDocument/definition", at("crossover(fast_ma", 12)),
        "references container": ("textDocument/references", {**at("classifier: classifier", 1),
                                                              "context": {"includeDeclaration": True}}),
        "completion components": ("textDocument/completion", at("size = percent_equity", 7)),
        "completion routes": ("textDocument/completion", at("route risk_spx, ", 16)),
        "document symbols": ("textDocument/documentSymbol", doc),
        "formatting": ("textDocument/formatting", {**doc, "options": {"tabSize": 4, "insertSpaces": True}}),
        "code actions": ("textDocument/codeAction", {**doc, "context": {"diagnostics": []}, "range": {
            "start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}}}),
    }


def timed(client: Client, method: str, params: dict) -> float:
    start = time.perf_counter()
    client.request(method, params)
    return (time.perf_counter() - start) * 1000


def main(argv: list[str]) -> int:
    lines = int(argv[0]) if argv else 1000
    runs = int(argv[1]) if len(argv) > 1 else 15
    text = generate(lines)
    middle = text.index("        risk_spx: risk {", len(text) // 2)
    broken = text[:middle] + text[middle:].replace("size = percent_equity(", "size = percent_equity((", 1)
    base = baseline(text, 5)
    with tempfile.TemporaryDirectory() as folder:
        client = Client(Path(folder), debounce_ms=DEBOUNCE_MS)
        try:
            uri = (Path(folder) / "bench.flow").as_uri()
            client.open(uri, text)
            start = time.perf_counter()
            client.diagnostics(uri, 1, timeout=60)
            first = (time.perf_counter() - start) * 1000
            table: dict[str, dict[str, list[float]]] = {}
            for state in ("analysed", "just edited", "broken"):
                body = broken if state == "broken" else text
                for name, (method, params) in requests(client, uri, body).items():
                    times = table.setdefault(name, {}).setdefault(state, [])
                    for i in range(runs):
                        if state == "just edited" or (state == "broken" and i == 0):
                            edited = body.replace("cash = 1_000_000", f"cash = 1_000_{i:03d}", 1)
                            client.change(uri, edited if state == "just edited" else body)
                        times.append(timed(client, method, params))
            diagnostics = []
            for i in range(runs // 3 + 1):
                version = client.change(uri, text.replace("cash = 1_000_000", f"cash = 2_000_{i:03d}", 1))
                start = time.perf_counter()
                client.diagnostics(uri, version, timeout=60)
                diagnostics.append((time.perf_counter() - start) * 1000 - DEBOUNCE_MS)
        finally:
            client.shutdown()
    print(f"{text.count(chr(10))} lines, {len(text):,} characters; {runs} runs per request and state; "
          f"target {TARGET_MS:.0f} ms")
    print(f"baseline (load_text + lint_file of the whole file, in process): {base:7.1f} ms")
    print(f"first diagnostics after opening (parse of every piece, lint): {first:7.1f} ms")
    print(f"{'request':<24}" + "".join(f"{s + ' median/max':>24}" for s in ("analysed", "just edited", "broken")))
    worst = 0.0
    for name, states in table.items():
        row = f"{name:<24}"
        for state in ("analysed", "just edited", "broken"):
            values = states[state]
            worst = max(worst, max(values))
            row += f"{statistics.median(values):11.1f} /{max(values):7.1f} ms  "
        print(row)
    print(f"diagnostics after an edit, less the debounce: median {statistics.median(diagnostics):.1f} ms, "
          f"max {max(diagnostics):.1f} ms")
    print(f"slowest request: {worst:.1f} ms ({worst / base:.2f} x the baseline); "
          f"{'within' if worst <= TARGET_MS else 'OVER'} the {TARGET_MS:.0f} ms target")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
