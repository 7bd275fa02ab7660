"""The pygls server: documents in, snapshots computed on demand, features out, diagnostics debounced.

Every request is answered from the snapshot of the document's current text,
built when first needed (a keystroke costs one piece of parse, see `chunks`).
Diagnostics run `flowc lint`'s passes, so they wait until the user pauses
(`debounce`, 250 ms unless the client's initialization options say
`{"debounce": MS}`), and run in a worker thread so that requests are not queued
behind them; the snapshot they lint is immutable once parsed, and they are
dropped if the text changed while they ran. A document of MAX_LINES lines or more is not
analysed (one diagnostic says so), so no request waits seconds for its first parse. A
document imports the buffer of another open document, saved or not: an edit there makes it
publish again, as does a change on disk to a file it imports. No handler lets an exception
out: a bug in a feature is logged and answered with nothing, and the
server goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sys
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from flowc.tools.lsp import completion, diagnostics, formatting, hover, navigation
from flowc.tools.lsp.actions import fix_of
from flowc.tools.lsp.paths import key_of
from flowc.tools.lsp.positions import UTF16
from flowc.tools.lsp.snapshot import Snapshot, invalidate

DEBOUNCE = 0.25
MAX_LINES = 20_000  # a document with more lines is not analysed: its first parse alone would block for seconds
log = logging.getLogger("flowc.lsp")


class TooLarge(Exception):
    """The document is over MAX_LINES: features answer nothing, diagnostics say why (`flowc lint` has no limit)."""


class FlowServer(LanguageServer):
    def __init__(self, version: str):
        super().__init__("flowc", version, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.snapshots: dict[str, Snapshot] = {}
        self.last_good: dict[str, Snapshot] = {}
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self.debounce = DEBOUNCE
        # `flowc lint`'s passes run here, off the event loop, so requests answer while a document is linted.
        self.linter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="flowc-lint")

    @property
    def encoding(self) -> str:
        found = self.workspace.position_encoding
        return str(getattr(found, "value", found) or UTF16)

    def snapshot(self, uri: str) -> Snapshot:
        """The snapshot of the document's current text (built now if the text changed)."""
        document = self.workspace.get_text_document(uri)
        text = document.source
        if text.count("\n") >= MAX_LINES:
            self.snapshots.pop(uri, None)
            raise TooLarge(uri)
        edited = {key_of(u): d.source for u, d in list(self.workspace.text_documents.items()) if u != uri}
        found = self.snapshots.get(uri)
        if found is None or found.text != text or found.encoding != self.encoding or found.edited != edited:
            found = Snapshot(uri, key_of(uri), text, document.version, self.encoding, edited)
            self.snapshots[uri] = found
        if found.parsed.ok:
            self.last_good[uri] = found
        return found

    def others(self, uri: str) -> list[Snapshot]:
        found = []
        for u in list(self.workspace.text_documents):
            if u != uri:
                with contextlib.suppress(TooLarge):
                    found.append(self.snapshot(u))
        return found

    # ---- diagnostics ----

    def schedule(self, uri: str, delay: float | None = None) -> None:
        timer = self.timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        loop = asyncio.get_running_loop()
        self.timers[uri] = loop.call_later(self.debounce if delay is None else delay, self.publish, uri)

    def publish(self, uri: str) -> None:
        """Lint the document's current text in the worker thread, then publish what it found."""
        self.timers.pop(uri, None)
        if uri not in self.workspace.text_documents:
            return
        try:
            snapshot = self.snapshot(uri)
            _ = snapshot.sources  # parsed and imports loaded here: the parse caches belong to this thread
        except TooLarge:
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[lsp.Diagnostic(
                range=lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)), severity=lsp.DiagnosticSeverity.Information,
                source="flowc", message=f"this document has more than {MAX_LINES:,} lines: the editor does not "
                                        "analyse it (run `flowc lint` and `flowc fmt` on it)")],
                version=self.workspace.get_text_document(uri).version))
            return
        except Exception:  # a bug: say so in the log, keep serving
            log.error("flowc lsp: loading %s failed\n%s", uri, traceback.format_exc())
            return
        loop = asyncio.get_running_loop()
        future = self.linter.submit(diagnostics.to_lsp, snapshot)
        future.add_done_callback(lambda done: loop.call_soon_threadsafe(self._send, uri, snapshot, done))

    def _send(self, uri: str, snapshot: Snapshot, done: Future) -> None:
        document = self.workspace.text_documents.get(uri)
        if document is None or document.source != snapshot.text:
            return  # the text changed meanwhile: its own publication is scheduled
        if done.exception() is not None:
            log.error("flowc lsp: diagnostics of %s failed\n%s", uri,
                      "".join(traceback.format_exception(done.exception())))
            return
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=done.result(), version=snapshot.version))

    def file_changed(self, key: str) -> None:
        """A file changed on disk: every open document that loads it analyses again."""
        invalidate()
        self.importers_changed(key)

    def importers_changed(self, key: str) -> None:
        """Every open document that loads the file `key` (on disk or as an open buffer) publishes again."""
        for uri, snapshot in list(self.snapshots.items()):
            if snapshot.key != key and key in snapshot.sources.sources:
                self.snapshots.pop(uri, None)  # its imports load again
                self.schedule(uri)


def safe(default=None) -> Callable:
    """Answer `default` instead of an error when a feature has a bug; the half-typed file is never the cause."""
    def wrap(handler):
        @functools.wraps(handler)
        def run(*args):
            try:
                return handler(*args)
            except TooLarge:
                return default
            except Exception:
                log.error("flowc lsp: %s failed\n%s", handler.__name__, traceback.format_exc())
                return default
        return run
    return wrap


def build_server(version: str = "0") -> FlowServer:
    server = FlowServer(version)

    @server.feature(lsp.INITIALIZE)
    def initialize(params: lsp.InitializeParams) -> None:
        options = params.initialization_options
        if isinstance(options, dict) and isinstance(options.get("debounce"), int | float):
            server.debounce = max(0.0, options["debounce"] / 1000)

    @server.feature(lsp.INITIALIZED)
    def initialized(params: lsp.InitializedParams) -> None:
        watched = server.client_capabilities.workspace
        if watched and watched.did_change_watched_files and watched.did_change_watched_files.dynamic_registration:
            server.client_register_capability(lsp.RegistrationParams(registrations=[lsp.Registration(
                id="flowc-watch", method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=lsp.DidChangeWatchedFilesRegistrationOptions(
                    watchers=[lsp.FileSystemWatcher(glob_pattern="**/*.flow")]))]))

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: lsp.DidOpenTextDocumentParams) -> None:
        server.schedule(params.text_document.uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: lsp.DidChangeTextDocumentParams) -> None:
        server.schedule(params.text_document.uri)
        server.importers_changed(key_of(params.text_document.uri))  # they read this buffer

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(params: lsp.DidSaveTextDocumentParams) -> None:
        server.file_changed(key_of(params.text_document.uri))

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        timer = server.timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        server.snapshots.pop(uri, None)
        server.last_good.pop(uri, None)
        server.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        server.importers_changed(key_of(uri))  # they read the file on disk again

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched_files(params: lsp.DidChangeWatchedFilesParams) -> None:
        for change in params.changes:
            server.file_changed(key_of(change.uri))

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    @safe()
    def on_hover(params: lsp.HoverParams) -> lsp.Hover | None:
        snapshot = server.snapshot(params.text_document.uri)
        occurrence = snapshot.index.at(snapshot.key, snapshot.lines.offset(params.position))
        if occurrence is None:
            return None
        text = hover.hover(snapshot, occurrence)
        if not text:
            return None
        return lsp.Hover(contents=lsp.MarkupContent(lsp.MarkupKind.Markdown, text),
                         range=snapshot.lines.range(occurrence.start, occurrence.end))

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    @safe([])
    def on_definition(params: lsp.DefinitionParams) -> list[lsp.Location]:
        snapshot = server.snapshot(params.text_document.uri)
        occurrence = snapshot.index.at(snapshot.key, snapshot.lines.offset(params.position))
        return navigation.definition(snapshot, occurrence) if occurrence else []

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    @safe([])
    def on_references(params: lsp.ReferenceParams) -> list[lsp.Location]:
        uri = params.text_document.uri
        snapshot = server.snapshot(uri)
        occurrence = snapshot.index.at(snapshot.key, snapshot.lines.offset(params.position))
        if occurrence is None:
            return []
        symbol = occurrence.symbol
        homes = {o.path for o in snapshot.index.definitions(symbol)} | {occurrence.path}
        if symbol.kind == "file":
            homes.add(symbol.name)
        related = [s for s in server.others(uri) if homes & set(s.sources.sources) or snapshot.key in s.sources.sources]
        return navigation.references([snapshot, *related], symbol, params.context.include_declaration)

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION,
                    lsp.CompletionOptions(trigger_characters=[":", ">", "=", ",", '"', "/", " ", "("]))
    @safe(lsp.CompletionList(is_incomplete=False, items=[]))
    def on_completion(params: lsp.CompletionParams) -> lsp.CompletionList:
        uri = params.text_document.uri
        snapshot = server.snapshot(uri)
        items = completion.complete(snapshot, snapshot.lines.offset(params.position), server.last_good.get(uri))
        return lsp.CompletionList(is_incomplete=False, items=items)

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @safe([])
    def on_symbols(params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
        return server.snapshot(params.text_document.uri).outline

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    @safe(None)
    def on_formatting(params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
        return formatting.formatting_edits(server.snapshot(params.text_document.uri))

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
    @safe([])
    def on_code_action(params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        uri = params.text_document.uri
        actions = []
        for d in params.context.diagnostics:
            fix = d.data.get("fix") if isinstance(d.data, dict) else None
            if fix is None:
                continue
            edit = lsp.TextEdit(range=_range(fix["range"]), new_text=fix["newText"])
            actions.append(_action(uri, fix["title"], edit, d))
        if actions or params.context.diagnostics:
            return actions
        # No diagnostics sent: the fixes on the requested lines, from the lint the worker already ran (never a
        # lint here, on the event loop: clients ask for code actions at every move of the cursor).
        snapshot = server.snapshot(uri)
        linted = snapshot.__dict__.get("diagnostics")
        first = snapshot.lines.offset(lsp.Position(params.range.start.line, 0))
        last = snapshot.lines.offset(lsp.Position(params.range.end.line + 1, 0))
        for d in linted or ():
            fix = fix_of(d, snapshot.source_text) if d.span is not None and d.span.path == snapshot.key else None
            if fix is not None and d.span.start <= last and first <= d.span.end:
                edit = lsp.TextEdit(range=snapshot.lines.span_range(fix.span), new_text=fix.replacement)
                actions.append(_action(uri, fix.title, edit, None))
        return actions

    return server


def _range(data: dict) -> lsp.Range:
    return lsp.Range(lsp.Position(**data["start"]), lsp.Position(**data["end"]))


def _action(uri: str, title: str, edit: lsp.TextEdit, diagnostic: lsp.Diagnostic | None) -> lsp.CodeAction:
    return lsp.CodeAction(title=title, kind=lsp.CodeActionKind.QuickFix, is_preferred=True,
                          diagnostics=[diagnostic] if diagnostic else None,
                          edit=lsp.WorkspaceEdit(changes={uri: [edit]}))


MAX_MESSAGE = 64 * 1024 * 1024  # bytes of one message; a .flow file is at most 16 MiB, escaped in JSON
MAX_HEADER_LINE = 64 * 1024


class BoundedStdin:
    """The server's stdin as pygls reads it (`readline`, `read(n)`), hardened against bad framing.

    - A header line is read at most MAX_HEADER_LINE bytes at a time, so a stream without newlines
      cannot fill memory.
    - A message longer than MAX_MESSAGE is not read: pygls is handed an empty JSON object, which it
      rejects and logs, and the bytes that follow are skipped as junk header lines.
    - After junk (a body shorter or longer than its Content-Length said, a garbled header), the
      next `Content-Length:` header is found inside the line it was glued to, so the server
      falls back in step with the client at the next message instead of going deaf.
    """

    def __init__(self, stream):
        self.stream = stream

    def readline(self) -> bytes:
        line = self.stream.readline(MAX_HEADER_LINE)
        at = line.find(b"Content-Length:")
        return line[at:] if at > 0 else line

    def read(self, n: int) -> bytes:
        if n > MAX_MESSAGE:
            log.warning("flowc lsp: a message of %d bytes is over the limit of %d; not read", n, MAX_MESSAGE)
            return b"{}"
        return self.stream.read(n)


def serve(version: str = "0") -> None:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    build_server(version).start_io(stdin=BoundedStdin(sys.stdin.buffer))
