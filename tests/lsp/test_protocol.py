"""Every feature of `flowc lsp`, through the real protocol: JSON-RPC over the server's stdio."""

from __future__ import annotations

import os
import time
from pathlib import Path

from flowc.dsl.formatter import format_source
from tests.conftest import EXAMPLES
from tests.lsp.client import position, wait_until

SIMPLE = (EXAMPLES / "simple_backtest.flow").read_text(encoding="utf-8")
FULL = (EXAMPLES / "full_backtest.flow").read_text(encoding="utf-8")
GRID = (EXAMPLES / "sma_grid.flow").read_text(encoding="utf-8")


def _open(client, workdir: Path, name: str, text: str) -> str:
    uri = (workdir / name).as_uri()
    client.open(uri, text)
    return uri


def _apply(text: str, edits: list[dict]) -> str:
    """Apply protocol text edits (UTF-16 positions) to a text."""
    lines = [*text.splitlines(keepends=True), ""]

    def offset(pos: dict) -> int:
        before = sum(len(line) for line in lines[:pos["line"]])
        line = lines[pos["line"]] if pos["line"] < len(lines) else ""
        units, chars = 0, 0
        for ch in line:
            if units >= pos["character"]:
                break
            units += 2 if ord(ch) > 0xFFFF else 1
            chars += 1
        return before + chars
    for edit in sorted(edits, key=lambda e: (e["range"]["start"]["line"], e["range"]["start"]["character"]),
                       reverse=True):
        start, end = offset(edit["range"]["start"]), offset(edit["range"]["end"])
        text = text[:start] + edit["newText"] + text[end:]
        lines = [*text.splitlines(keepends=True), ""]
    return text


def _labels(result) -> set[str]:
    items = result["items"] if isinstance(result, dict) else result
    return {item["label"] for item in items}


# ---- server set-up ----


def test_capabilities_cover_every_feature(client):
    caps = client.capabilities
    assert caps["positionEncoding"] == "utf-16"
    for name in ("hoverProvider", "definitionProvider", "referencesProvider", "completionProvider",
                 "documentSymbolProvider", "documentFormattingProvider", "codeActionProvider"):
        assert caps.get(name), name


# ---- diagnostics ----


def test_diagnostics_have_codes_links_and_severities(client, workdir):
    text = SIMPLE.replace("max_position = 1000", "maxposition = 1000")
    uri = _open(client, workdir, "diag.flow", text)
    (unknown,) = client.diagnostics(uri)
    assert unknown["code"] == "FL504" and unknown["severity"] == 1 and unknown["source"] == "flowc"
    assert unknown["codeDescription"]["href"].endswith("/FL504.md")
    assert Path(unknown["codeDescription"]["href"].removeprefix("file://")).is_file()
    line, char = position(text, "maxposition")
    assert unknown["range"]["start"] == {"line": line, "character": char}
    assert "did you mean `max_position`" in unknown["message"]
    version = client.change(uri, SIMPLE.replace("sma(close, slow)", "sma(close, 30)"))
    (unused,) = client.diagnostics(uri, version)
    assert unused["code"] == "FL506" and unused["severity"] == 2
    assert unused.get("tags") == [1]  # unnecessary: editors fade it


def test_diagnostics_are_debounced(client, workdir):
    uri = _open(client, workdir, "debounce.flow", SIMPLE)
    client.diagnostics(uri)
    for i in range(6):  # quicker than the debounce (50 ms in the tests)
        client.change(uri, SIMPLE.replace("cash = 1_000_000", f"cash = 1_000_00{i}"))
    final = client.change(uri, SIMPLE.replace("fixed(100)", "fixd(100)"))
    assert [d["code"] for d in client.diagnostics(uri, final)] == ["FL503"]
    time.sleep(0.2)
    versions = [p["version"] for p in client.published(uri)]
    assert versions == [1, final], "one publication after the burst of changes"


def test_a_file_that_imports_a_missing_file(client, workdir):
    text = 'import "nowhere.flow"\n' + SIMPLE
    uri = _open(client, workdir, "missing_import.flow", text)
    (diagnostic,) = client.diagnostics(uri)
    assert diagnostic["code"] == "FL204" and diagnostic["range"]["start"]["line"] == 0


# ---- hover ----


def test_hover_on_component_container_event_and_param(client, workdir):
    uri = _open(client, workdir, "hover.flow", FULL)

    def hover(needle: str, delta: int = 1, occurrence: int = 0) -> str:
        result = client.request("textDocument/hover", client.at(uri, *position(FULL, needle, delta, occurrence)))
        assert result is not None, needle
        assert result["contents"]["kind"] == "markdown"
        return result["contents"]["value"]

    component = hover("mean_reversion(")
    assert "mean_reversion(x, low, high)" in component and "x > high (strict)" in component
    container = hover("risk -> execution")
    assert "risk: risk" in container and "size = percent_equity(10)" in container
    assert "`portfolio -> risk : PORTFOLIO` (feedback, delayed one step)" in container
    assert "`risk -> execution : ORDER`" in container
    event = hover("SIGNAL")
    assert "`direction`, `strength`" in event
    param = hover("slow)", 0)
    assert "param slow: int = 30" in param
    feature = hover("vol20, 0.015")
    assert "vol20 = stdev(returns(close), 20)" in feature
    assert client.request("textDocument/hover", client.at(uri, 0, 3)) is None  # a comment


def test_hover_shows_where_a_param_is_swept(client, workdir):
    uri = (EXAMPLES / "sma_grid.flow").as_uri()  # it imports simple_backtest.flow beside it
    client.open(uri, GRID)
    line, char = position(GRID, "sweep fast", 6)
    value = client.request("textDocument/hover", client.at(uri, line, char))["contents"]["value"]
    assert "swept in" in value and "sweep fast in [5, 10, 20]" in value


# ---- definition and references ----


def _definition(client, uri, text, needle, delta=1, occurrence=0):
    result = client.request("textDocument/definition", client.at(uri, *position(text, needle, delta, occurrence)))
    return [(loc["uri"], loc["range"]["start"]["line"], loc["range"]["start"]["character"]) for loc in result]


def _references(client, uri, text, needle, delta=1, occurrence=0, declaration=True):
    params = {**client.at(uri, *position(text, needle, delta, occurrence)),
              "context": {"includeDeclaration": declaration}}
    return [(loc["uri"], loc["range"]["start"]["line"], loc["range"]["start"]["character"])
            for loc in client.request("textDocument/references", params)]


def test_definition_and_references_of_containers_features_params_patterns(client, workdir):
    uri = _open(client, workdir, "nav.flow", FULL)
    at = lambda needle, delta=0, n=0: (uri, *position(FULL, needle, delta, n))  # noqa: E731
    # a container, from a route to its declaration, and every route that names it
    assert _definition(client, uri, FULL, "classifier : BAR", 1) == [at("classifier: classifier")]
    refs = _references(client, uri, FULL, "classifier: classifier", 1)
    assert at("classifier: classifier") in refs and at("classifier -> risk") in refs
    assert at("classifier\n    hierarchical") in refs and len(refs) == 5
    # a dotted part resolves to the child
    # a feature: from where a strategy reads it to the feature container's setting
    assert _definition(client, uri, FULL, "rsi14, 30", 1) == [at("rsi14   =")]
    assert set(_references(client, uri, FULL, "rsi14   =", 1)) == {at("rsi14   ="), at("rsi14, 30")}
    # a param
    assert _definition(client, uri, FULL, "fast)", 0) == [at("fast: int")]
    assert _references(client, uri, FULL, "fast: int", 0, declaration=False) == [at("fast)")]
    # patterns, from the workflow to their declarations
    assert _definition(client, uri, FULL, "= full_backtest", 2) == [at("full_backtest {")]
    assert _definition(client, uri, FULL, "= hierarchical", 2) == [at("hierarchical {")]
    assert _references(client, uri, FULL, "hierarchical {", 0, declaration=False) == [at("hierarchical\n}", 0)]


def test_imports_definition_references_and_names_across_files(client, workdir):
    lib = 'param window: int = 20\n\nevent TICK { price: f64 }\n'
    (workdir / "lib.flow").write_text(lib, encoding="utf-8")
    main = ('import "std/simple_backtest.flow"\nimport "lib.flow"\n\n'
            "workflow again {\n    containers = simple_backtest\n    communication = pipeline\n"
            "    sweep window in [1, 2]\n}\n")
    uri = _open(client, workdir, "imports.flow", main)
    (std,) = _definition(client, uri, main, '"std/simple')
    assert std[0].endswith("/std/simple_backtest.flow") and Path(std[0].removeprefix("file://")).is_file()
    assert _definition(client, uri, main, '"lib.flow"') == [((workdir / "lib.flow").as_uri(), 0, 0)]
    # names declared in an imported file
    assert _definition(client, uri, main, "window in", 0) == [((workdir / "lib.flow").as_uri(), 0, 6)]
    (pattern,) = _definition(client, uri, main, "= simple_backtest", 2)
    assert pattern[0] == std[0]
    # references of an import: every import of that file in the open documents
    other = _open(client, workdir, "imports2.flow", 'import "lib.flow"\n')
    refs = _references(client, uri, main, '"lib.flow"')
    assert (uri, 1, 7) in refs and (other, 0, 7) in refs


# ---- completion ----


def _complete(client, uri, text, needle, delta=None):
    line, char = position(text, needle, len(needle) if delta is None else delta)
    return client.request("textDocument/completion", client.at(uri, line, char))


def test_completion_of_keywords(client, workdir):
    text = SIMPLE + "\nwork"
    uri = _open(client, workdir, "complete_kw.flow", text)
    labels = _labels(_complete(client, uri, text, "\nwork"))
    assert {"workflow", "containers", "communication", "param", "import"} <= labels
    text = SIMPLE.replace("    feedback portfolio", "    \n    feedback portfolio")
    client.change(uri, text)
    labels = _labels(client.request("textDocument/completion", client.at(uri, *position(text, "    \n", 4))))
    assert {"pipeline", "broadcast", "route", "selective", "hierarchical", "feedback"} <= labels


def test_completion_of_container_names_in_routes(client, workdir):
    text = SIMPLE.replace("    feedback portfolio", "    route risk -> \n    feedback portfolio")
    uri = _open(client, workdir, "complete_route.flow", text)
    labels = _labels(_complete(client, uri, text, "route risk -> "))
    assert {"data", "features", "strategy", "risk", "execution", "portfolio"} <= labels
    assert "backtest" not in labels  # the root holds children and takes no part in routing
    assert "pipeline" not in labels


def test_completion_of_components_valid_for_the_settings_role(client, workdir):
    text = SIMPLE.replace("size = fixed(100)", "size = ")
    uri = _open(client, workdir, "complete_size.flow", text)
    labels = _labels(_complete(client, uri, text, "size = "))
    assert {"fixed", "percent_equity"} <= labels and not {"sma", "crossover", "bps"} & labels
    text = SIMPLE.replace("signal = crossover(fast_ma, slow_ma)", "signal = cro")
    client.change(uri, text)
    labels = _labels(_complete(client, uri, text, "signal = cro"))
    assert {"crossover", "mean_reversion", "sma", "fast_ma", "slow_ma", "close", "fast"} <= labels
    assert "fixed" not in labels
    text = SIMPLE.replace("fill = next_open()", "fill = ")
    client.change(uri, text)
    assert {"next_open", "close"} <= _labels(_complete(client, uri, text, "fill = "))
    signal = "signal = crossover(fast_ma, slow_ma)"
    text = SIMPLE.replace(signal, "timeframe = \n            " + signal)
    client.change(uri, text)
    labels = _labels(_complete(client, uri, text, "timeframe = "))  # a clock: the timeframes, nothing per bar
    assert {"every", "minutes", "hourly", "daily", "weekly", "monthly"} <= labels and not {"sma", "close"} & labels


def test_completion_of_events_valid_for_a_route(client, workdir):
    text = SIMPLE.replace("    feedback portfolio", "    route strategy -> risk : \n    feedback portfolio")
    uri = _open(client, workdir, "complete_event.flow", text)
    assert _labels(_complete(client, uri, text, "risk : ")) == {"SIGNAL"}
    text = SIMPLE.replace("    feedback portfolio", "    broadcast data -> strategy, risk : \n    feedback portfolio")
    client.change(uri, text)
    assert _labels(_complete(client, uri, text, "risk : ")) == {"BAR"}


def test_completion_in_a_workflow(client, workdir):
    text = SIMPLE.replace("    communication = pipeline\n", "    communication = pipeline\n    sweep \n")
    uri = _open(client, workdir, "complete_wf.flow", text)
    assert _labels(_complete(client, uri, text, "sweep ")) == {"fast", "slow"}


# ---- outline, formatting, code actions ----


def test_document_symbols_are_the_outline(client, workdir):
    uri = _open(client, workdir, "outline.flow", FULL)
    result = client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    assert [s["name"] for s in result] == ["fast", "slow", "full_backtest", "hierarchical", "full_backtest"]
    pattern = result[2]
    (root,) = pattern["children"]
    assert root["name"] == "backtest"
    assert [c["name"] for c in root["children"]] == ["data", "features", "classifier", "risk", "execution",
                                                     "portfolio"]
    classifier = root["children"][2]
    assert [c["name"] for c in classifier["children"]] == ["regime", "trend", "revert"]
    assert pattern["selectionRange"]["start"] == dict(zip(("line", "character"),
                                                          position(FULL, "full_backtest {"), strict=True))


def test_formatting_is_flowc_fmt(client, workdir):
    messy = SIMPLE.replace("    pipeline data", "  pipeline   data").replace("size = fixed(100)", "size=fixed( 100 )")
    uri = _open(client, workdir, "fmt.flow", messy)
    edits = client.request("textDocument/formatting", {"textDocument": {"uri": uri},
                                                       "options": {"tabSize": 4, "insertSpaces": True}})
    assert edits and _apply(messy, edits) == format_source(messy) == SIMPLE
    assert len(edits) == 2  # only the lines that change
    broken = messy + "\ncontainers {"
    client.change(uri, broken)
    assert client.request("textDocument/formatting", {"textDocument": {"uri": uri},
                                                      "options": {"tabSize": 4, "insertSpaces": True}}) is None


def test_code_actions_apply_the_safe_fixes(client, workdir):
    text = SIMPLE.replace("sma(close, fast)", "smaa(close, fast)").replace("pipeline data ->", "pipeline data =>")
    uri = _open(client, workdir, "fix.flow", text)
    diagnostics = client.diagnostics(uri)
    assert [d["code"] for d in diagnostics] == ["FL107"]  # a syntax error: only syntax errors show
    (action,) = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": diagnostics[0]["range"], "context": {"diagnostics": diagnostics}})
    assert action["kind"] == "quickfix" and action["title"] == "replace `=>` with `->`"
    text = _apply(text, action["edit"]["changes"][uri])
    version = client.change(uri, text)
    diagnostics = client.diagnostics(uri, version)
    assert [d["code"] for d in diagnostics] == ["FL503"]
    (action,) = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": diagnostics[0]["range"], "context": {"diagnostics": diagnostics}})
    assert action["title"] == "replace `smaa` with `sma`"
    text = _apply(text, action["edit"]["changes"][uri])
    assert text == SIMPLE
    version = client.change(uri, text)
    assert client.diagnostics(uri, version) == []
    # without diagnostics in the request, the server finds the fixes on the lines in its last lint
    text = SIMPLE.replace("sma(close, fast)", "smaa(close, fast)")
    client.diagnostics(uri, client.change(uri, text))
    line, _ = position(text, "smaa")
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "context": {"diagnostics": []},
        "range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}}})
    assert [a["title"] for a in actions] == ["replace `smaa` with `sma`"]


# ---- broken and non-ASCII text ----


def test_a_syntax_error_in_the_middle_of_a_file(client, workdir):
    text = SIMPLE.replace("        risk: risk {\n", "        risk: risk {{\n")
    uri = _open(client, workdir, "broken.flow", text)
    (error,) = client.diagnostics(uri)
    assert error["code"].startswith("FL1") and error["range"]["start"]["line"] == position(text, "risk {{")[0]
    # what follows the broken declaration is still understood
    assert _definition(client, uri, text, "= pipeline", 2) == [(uri, *position(text, "pipeline {"))]
    value = client.request("textDocument/hover", client.at(uri, *position(text, "fast: int", 1)))
    assert "param fast: int = 10" in value["contents"]["value"]
    names = [s["name"] for s in client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})]
    assert names == ["fast", "slow", "pipeline", "simple_backtest"]  # the broken pattern is left out
    # completion inside the broken pattern still knows the container's role
    broken_more = text.replace("fill = next_open()", "fill = ")
    client.change(uri, broken_more)
    assert {"next_open", "close"} <= _labels(_complete(client, uri, broken_more, "fill = "))
    # and routes still complete with the containers of the last version that parsed
    client.change(uri, SIMPLE)
    client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    half = text.replace("    feedback portfolio", "    route risk -> \n    feedback portfolio")
    client.change(uri, half)
    assert {"execution", "portfolio"} <= _labels(_complete(client, uri, half, "route risk -> "))


def test_non_ascii_text_before_an_error_uses_utf16_positions(client, workdir):
    prefix = "# Stratégie 📈 — “momentum” naïve\n"
    text = prefix + SIMPLE.replace("long_only = true", "long_only = true # ≥ 📉📉 ok\n            sizee = 1")
    uri = _open(client, workdir, "unicode.flow", text)
    found = {d["code"]: d for d in client.diagnostics(uri)}
    line, char = position(text, "sizee")
    assert found["FL504"]["range"]["start"] == {"line": line, "character": char}
    # an error on a line with astral characters before it
    text2 = prefix + SIMPLE.replace("cash = 1_000_000", "cash = 1_000_000 📈📈 }")
    version = client.change(uri, text2)
    (error,) = client.diagnostics(uri, version)
    line, char = position(text2, "📈📈 }")
    assert error["range"]["start"] == {"line": line, "character": char}
    assert char == len("            cash = 1_000_000 ")
    # hover after astral characters on the same line
    text3 = "param p: int = 1  # 📈📈\n" + "param q: int = 2 # 📈 x\n" + SIMPLE.replace("fast)", "q)")
    client.change(uri, text3)
    value = client.request("textDocument/hover", client.at(uri, *position(text3, "q)")))
    assert "param q: int = 2" in value["contents"]["value"]


def test_every_half_typed_prefix_answers(client, workdir):
    uri = _open(client, workdir, "typing.flow", "")
    text = FULL
    for cut in range(0, len(text), 97):
        partial = text[:cut]
        client.change(uri, partial)
        line = partial.count("\n")
        char = len(partial[partial.rfind("\n") + 1:].encode("utf-16-le")) // 2
        where = client.at(uri, line, char)
        client.request("textDocument/completion", where)
        client.request("textDocument/hover", where)
        client.request("textDocument/definition", where)
        client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    assert client.process.poll() is None
    errors = b"".join(client.stderr).decode(errors="replace")
    assert "Traceback" not in errors, errors


# ---- imports reload ----


def test_a_file_importing_another_reloads_when_either_changes(client, workdir):
    lib_path = workdir / "shared.flow"
    lib_path.write_text("param fast: int = 10\nparam slow: int = 30\n", encoding="utf-8")
    main = 'import "shared.flow"\n' + SIMPLE.replace("param fast: int = 10\nparam slow: int = 30\n", "")
    uri = _open(client, workdir, "importer.flow", main)
    assert client.diagnostics(uri) == []
    # the imported file changes on disk: the importer analyses again
    lib_path.write_text("param fast: int = 10\n", encoding="utf-8")
    stamp = lib_path.stat().st_mtime_ns
    os.utime(lib_path, ns=(stamp + 10**9, stamp + 10**9))
    before = len(client.published(uri))
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": lib_path.as_uri(), "type": 2}]})
    assert wait_until(lambda: len(client.published(uri)) > before)
    (problem,) = client.published(uri)[-1]["diagnostics"]
    assert problem["range"]["start"] == dict(zip(("line", "character"), position(main, "slow)"), strict=True))
    # the imported file is open, edited and saved: the importer analyses again
    lib_uri = lib_path.as_uri()
    client.open(lib_uri, lib_path.read_text(encoding="utf-8"))
    fixed = "param fast: int = 10\nparam slow: int = 30\n"
    client.change(lib_uri, fixed)
    lib_path.write_text(fixed, encoding="utf-8")
    before = len(client.published(uri))
    client.notify("textDocument/didSave", {"textDocument": {"uri": lib_uri}})
    assert wait_until(lambda: len(client.published(uri)) > before)
    assert client.published(uri)[-1]["diagnostics"] == []
    # the importer changes: it analyses again
    changed = main.replace("sma(close, slow)", "sma(close, slower)")
    version = client.change(uri, changed)
    (problem,) = client.diagnostics(uri, version)
    assert problem["range"]["start"] == dict(zip(("line", "character"), position(changed, "slower"), strict=True))


def test_dotted_references_resolve_part_by_part(client, workdir):
    text = FULL.replace("route classifier -> risk", "route classifier.trend, classifier.revert -> risk")
    uri = _open(client, workdir, "dotted.flow", text)
    assert _definition(client, uri, text, "trend, classifier", 1) == [(uri, *position(text, "trend: strategy"))]
    assert _definition(client, uri, text, "classifier.revert", 1) == [(uri, *position(text, "classifier: classifier"))]
    assert _definition(client, uri, text, "revert ->", 1) == [(uri, *position(text, "revert: strategy"))]


def test_completion_of_standard_library_imports(client, workdir):
    text = 'import "std/\n'
    uri = _open(client, workdir, "complete_import.flow", text)
    labels = _labels(_complete(client, uri, text, 'import "std/'))
    assert {"std/simple_backtest.flow", "std/full_backtest.flow"} <= labels


def test_a_file_importing_an_open_buffer_sees_its_unsaved_edits(client, workdir):
    lib_path = workdir / "params.flow"
    both = "param fast: int = 10\nparam slow: int = 30\n"
    lib_path.write_text(both, encoding="utf-8")
    main = 'import "params.flow"\n' + SIMPLE.replace(both, "")
    uri = _open(client, workdir, "uses_params.flow", main)
    assert client.diagnostics(uri) == []
    lib_uri = lib_path.as_uri()
    client.open(lib_uri, both)
    before = len(client.published(uri))
    client.change(lib_uri, "param fast: int = 10\n")  # not saved: the file on disk still has `slow`
    assert wait_until(lambda: len(client.published(uri)) > before and client.published(uri)[-1]["diagnostics"])
    (problem,) = client.published(uri)[-1]["diagnostics"]
    assert problem["range"]["start"] == dict(zip(("line", "character"), position(main, "slow)"), strict=True))
    before = len(client.published(uri))
    client.notify("textDocument/didClose", {"textDocument": {"uri": lib_uri}})  # back to the file on disk
    assert wait_until(lambda: len(client.published(uri)) > before)
    assert client.published(uri)[-1]["diagnostics"] == []
