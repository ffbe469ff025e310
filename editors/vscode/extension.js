// editors/vscode/extension.js: the code side of the rbk extension. Syntax
// highlighting needs none (syntaxes/rbk.tmLanguage.json); this starts the
// language server, `rbk lsp`, for .rbk files: JSON-RPC over the server's
// stdin and stdout, its stderr in the "rbk language server" output channel.
// Diagnostics, formatting, hover, go-to-definition, completion and symbols
// all come from the server, so this file stays a launcher.
'use strict';

const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

/** @type {LanguageClient | null} */
let client = null;
// Starts and stops run one after another, so a quick change of settings
// cannot leave two servers running.
let pending = Promise.resolve();

function settings() {
  const cfg = vscode.workspace.getConfiguration('rbk');
  return { path: cfg.get('path') || 'rbk', enabled: cfg.get('lsp.enabled', true) };
}

async function start() {
  const { path, enabled } = settings();
  if (!enabled) return;
  // No `transport`: the client then spawns exactly `rbk lsp` and speaks over
  // stdio (TransportKind.stdio would append a --stdio argument rbk does not take).
  const server = { command: path, args: ['lsp'] };
  client = new LanguageClient(
    'rbk',
    'rbk language server',
    { run: server, debug: server },
    {
      documentSelector: [
        { scheme: 'file', language: 'rbk' },
        { scheme: 'untitled', language: 'rbk' },
      ],
      // rbk.yaml holds the roles, severities and lint settings the server
      // checks against; tell it when that file or another runbook changes.
      synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/{rbk.yaml,*.rbk}') },
    },
  );
  try {
    await client.start();
  } catch (e) {
    const failed = client;
    client = null;
    // Stop the client so it does not keep retrying a command that is not there.
    await failed.stop().catch(() => {});
    const choice = await vscode.window.showErrorMessage(
      `rbk: could not start the language server (\`${path} lsp\`): ${e && e.message ? e.message : e}. ` +
        'Set "rbk.path" to the rbk executable, or turn "rbk.lsp.enabled" off for highlighting only.',
      'Open Settings',
    );
    if (choice === 'Open Settings') vscode.commands.executeCommand('workbench.action.openSettings', 'rbk.');
  }
}

async function stop() {
  const c = client;
  client = null;
  if (c) await c.stop().catch(() => {});
}

function restart() {
  pending = pending.then(stop).then(start);
  return pending;
}

function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand('rbk.restartServer', restart),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('rbk.path') || e.affectsConfiguration('rbk.lsp.enabled')) restart();
    }),
  );
  pending = pending.then(start);
  return pending;
}

function deactivate() {
  return pending.then(stop);
}

module.exports = { activate, deactivate };
