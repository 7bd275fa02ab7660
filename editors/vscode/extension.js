// Starts `flowc lsp` for .flow files; highlighting comes from the TextMate grammar alone.
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("flowc");
  const command = config.get("path", "flowc");
  const server = { command, args: ["lsp"] };
  client = new LanguageClient(
    "flowc",
    "flowc language server",
    { run: server, debug: server },
    {
      documentSelector: [{ language: "flow" }],
      initializationOptions: { debounce: config.get("debounce", 250) },
      synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.flow") },
    },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
