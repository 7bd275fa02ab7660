"""A small client of the Language Server Protocol: JSON-RPC over the stdio of a `flowc lsp` process.

Enough of a client to drive the server the way an editor does: framed messages
(`Content-Length`), requests with ids, notifications, and replies to the
server's own requests (`client/registerCapability`). A reader thread files
responses by id and keeps every notification, so a test can wait for the
diagnostics of a given document version.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

TIMEOUT = 10.0


class ServerError(Exception):
    pass


class Client:
    def __init__(self, cwd: Path, debounce_ms: int = 50, encodings: tuple[str, ...] = ("utf-16",)):
        env = dict(os.environ)
        self.process = subprocess.Popen([sys.executable, "-m", "flowc.tools", "lsp"], cwd=cwd, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.ids = itertools.count(1)
        self.lock = threading.Condition()
        self.responses: dict[int, dict] = {}
        self.notifications: list[dict] = []
        self.stderr: list[bytes] = []
        self.versions: dict[str, int] = {}
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        self.capabilities = self.request("initialize", {
            "processId": os.getpid(), "rootUri": cwd.as_uri(), "initializationOptions": {"debounce": debounce_ms},
            "capabilities": {
                "general": {"positionEncodings": list(encodings)},
                "textDocument": {"hover": {"contentFormat": ["markdown"]},
                                 "documentSymbol": {"hierarchicalDocumentSymbolSupport": True},
                                 "publishDiagnostics": {"versionSupport": True}},
                "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": True}},
            }})["capabilities"]
        self.notify("initialized", {})

    # ---- the wire ----

    def _send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.process.stdin.flush()

    def _read(self) -> None:
        out = self.process.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    with self.lock:
                        self.lock.notify_all()
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            message = json.loads(out.read(length))
            if "method" in message and "id" in message:  # a request of the server: answer it
                self._send({"id": message["id"], "result": None})
                continue
            with self.lock:
                if "id" in message:
                    self.responses[message["id"]] = message
                else:
                    self.notifications.append(message)
                self.lock.notify_all()

    def _read_stderr(self) -> None:
        for line in self.process.stderr:
            self.stderr.append(line)

    def request(self, method: str, params: dict, timeout: float = TIMEOUT) -> object:
        ident = next(self.ids)
        self._send({"id": ident, "method": method, "params": params})
        with self.lock:
            if not self.lock.wait_for(lambda: ident in self.responses or self.process.poll() is not None, timeout):
                raise TimeoutError(f"{method}: no answer in {timeout} s")
            if ident not in self.responses:
                raise ServerError(f"the server exited: {b''.join(self.stderr).decode(errors='replace')}")
            response = self.responses.pop(ident)
        if "error" in response:
            raise ServerError(response["error"])
        return response.get("result")

    def notify(self, method: str, params: dict) -> None:
        self._send({"method": method, "params": params})

    def wait(self, predicate: Callable[[dict], bool], timeout: float = TIMEOUT) -> dict:
        """The first notification (old or new) that satisfies `predicate`."""
        with self.lock:
            found = None

            def seen() -> bool:
                nonlocal found
                found = next((n for n in self.notifications if predicate(n)), None)
                return found is not None
            if not self.lock.wait_for(seen, timeout):
                raise TimeoutError("no such notification")
            return found

    # ---- documents ----

    def open(self, uri: str, text: str) -> None:
        self.versions[uri] = 1
        self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "flow", "version": 1,
                                                              "text": text}})

    def change(self, uri: str, text: str, range_: dict | None = None) -> int:
        self.versions[uri] += 1
        change = {"text": text} if range_ is None else {"range": range_, "text": text}
        self.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": self.versions[uri]},
                                               "contentChanges": [change]})
        return self.versions[uri]

    def close(self, uri: str) -> None:
        self.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    def diagnostics(self, uri: str, version: int | None = None, timeout: float = TIMEOUT) -> list[dict]:
        """The diagnostics published for `uri` (at `version`, or the document's current version)."""
        want = self.versions.get(uri) if version is None else version
        note = self.wait(lambda n: n["method"] == "textDocument/publishDiagnostics" and n["params"]["uri"] == uri
                         and n["params"].get("version") == want, timeout)
        return note["params"]["diagnostics"]

    def published(self, uri: str) -> list[dict]:
        with self.lock:
            return [n["params"] for n in self.notifications
                    if n["method"] == "textDocument/publishDiagnostics" and n["params"]["uri"] == uri]

    def at(self, uri: str, line: int, character: int) -> dict:
        return {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}

    def shutdown(self) -> None:
        try:
            self.request("shutdown", {}, timeout=5)
            self.notify("exit", {})
            self.process.wait(timeout=5)
        except (TimeoutError, ServerError, OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()


def position(text: str, needle: str, delta: int = 0, occurrence: int = 0) -> tuple[int, int]:
    """(line, UTF-16 character) of the `occurrence`-th `needle` in `text`, plus `delta` characters."""
    offset = -1
    for _ in range(occurrence + 1):
        offset = text.index(needle, offset + 1)
    offset += delta
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return line, len(text[start:offset].encode("utf-16-le")) // 2


def wait_until(condition: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False
