// Code lenses inside the extension host: the lens of every registered analysis (a test-only one,
// registered here through the API `activate` returns) opens it with the definition's linked model
// file; unregistering removes the lens; a notebook cell sees the imports of the other cells.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vscode = require('vscode');

const EXTENSION_ID = 'linear-lens.linear-lens';
const KIND = 'e2e-codelens';
const TITLE = 'E2E lens analysis';

const { sleep, waitFor } = require('./wait');

/** The lenses VS Code gets for `uri`, as { line, title, command } top to bottom. */
async function lenses(uri) {
  const found = (await vscode.commands.executeCommand('vscode.executeCodeLensProvider', uri, 100)) ?? [];
  return found
    .filter((l) => l.command)
    .map((l) => ({ line: l.range.start.line, title: l.command.title, command: l.command }));
}

const titlesAt = (all, line) => all.filter((l) => l.line === line).map((l) => l.title);

describe('Linear Lens code lenses (extension host)', function () {
  this.timeout(120_000);
  let api;
  let folder;
  let registration;
  let trainUri;
  const prepared = [];

  const provider = {
    kind: KIND,
    title: TITLE,
    description: 'Records what the lens started it with (test only)',
    async prepare(start) {
      prepared.push(start.models.map((u) => u.fsPath));
      return undefined;                               // as if the user dismissed a question
    },
    async compute() { return null; },
    view() { return { figures: [] }; },
  };

  before(async function () {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not loaded`);
    api = await ext.activate();
    folder = vscode.workspace.workspaceFolders[0].uri.fsPath;
    const fixtures = path.join(ext.extensionPath, 'test');
    fs.copyFileSync(path.join(fixtures, 'fixtures', 'onnx', 'conv_grouped.onnx'), path.join(folder, 'mnist_cnn.onnx'));
    fs.copyFileSync(path.join(fixtures, 'e2e', 'fixtures', 'codelens', 'train_small.py'), path.join(folder, 'train.py'));
    trainUri = vscode.Uri.file(path.join(folder, 'train.py'));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(trainUri));
  });

  /** Titles of the analyses the extension ships (registered at activation), in order. */
  const shipped = () => api.analyses().map((a) => a.title).filter((t) => t !== TITLE);

  after(async function () {
    registration?.dispose();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('offers Open Model Overview (the link lens), one lens per shipped analysis, and linking', async function () {
    const all = await waitFor(async () => {
      const l = await lenses(trainUri);
      return l.some((x) => x.title === 'Linear Lens: mnist_cnn.onnx') ? l : null;
    }, 'the lens of MnistCnn to name mnist_cnn.onnx');
    const [mnist, student] = [...new Set(all.map((l) => l.line))];
    assert.deepEqual(titlesAt(all, mnist), ['Linear Lens: mnist_cnn.onnx', ...shipped(), 'Change link…']);
    assert.deepEqual(titlesAt(all, student), ['Linear Lens: link a model file…', ...shipped()]);
    const open = all.find((l) => l.title === 'Linear Lens: mnist_cnn.onnx').command;
    assert.equal(open.command, 'linearLens.openModelOverview');
    assert.equal(open.arguments[0].fsPath, path.join(folder, 'mnist_cnn.onnx'));
    const link = all.find((l) => l.title.startsWith('Linear Lens: link')).command;
    assert.equal(link.command, 'linearLens.linkModel');
    assert.deepEqual(link.arguments, [trainUri.toString(), 'Student']);
  });

  it('adds one lens per registered analysis, which starts it with the linked model file', async function () {
    assert.equal(typeof api?.registerAnalysis, 'function', 'activate() returns { registerAnalysis, ... } (panels/api.ts)');
    registration = api.registerAnalysis(provider);
    const all = await waitFor(async () => {
      const l = await lenses(trainUri);
      return l.some((x) => x.title === TITLE) ? l : null;
    }, 'the analysis lens');
    const lines = [...new Set(all.map((l) => l.line))];
    assert.deepEqual(titlesAt(all, lines[0]), ['Linear Lens: mnist_cnn.onnx', ...shipped(), TITLE, 'Change link…']);
    assert.deepEqual(titlesAt(all, lines[1]), ['Linear Lens: link a model file…', ...shipped(), TITLE]);
    const { command } = all.find((l) => l.line === lines[0] && l.title === TITLE);
    await vscode.commands.executeCommand(command.command, ...command.arguments);
    assert.deepEqual(prepared, [[path.join(folder, 'mnist_cnn.onnx')]]);
  });

  it('removes the analysis lens when the analysis is unregistered', async function () {
    assert.ok(registration, 'the analysis was registered');
    registration.dispose();
    registration = undefined;
    await waitFor(async () => !(await lenses(trainUri)).some((x) => x.title === TITLE), 'the analysis lens to go');
  });

  it('turns off and on with linearLens.codeLens.enabled', async function () {
    const config = vscode.workspace.getConfiguration('linearLens');
    await config.update('codeLens.enabled', false, vscode.ConfigurationTarget.Workspace);
    try {
      await waitFor(async () => (await lenses(trainUri)).length === 0, 'no lenses while the setting is off');
    } finally {
      await config.update('codeLens.enabled', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await waitFor(async () => (await lenses(trainUri)).length > 0, 'the lenses to come back');
  });

  it('reads a notebook cell with the imports of the other cells', async function () {
    const cells = [
      new vscode.NotebookCellData(vscode.NotebookCellKind.Code, 'from tensorflow.keras import Sequential, layers', 'python'),
      new vscode.NotebookCellData(vscode.NotebookCellKind.Code, 'mnist_cnn = Sequential([layers.Dense(10)])', 'python'),
    ];
    let notebook;
    try {
      notebook = await vscode.workspace.openNotebookDocument('jupyter-notebook', new vscode.NotebookData(cells));
    } catch (e) {
      console.log(`no jupyter-notebook serializer in this VS Code: ${e.message}`);
      this.skip();
    }
    // The lens command reads the cells' text models, which exist once the notebook is shown.
    await vscode.window.showNotebookDocument(notebook);
    const cell = notebook.cellAt(1).document;
    const all = await waitFor(async () => {
      const l = await lenses(cell.uri);
      return l.length > 0 ? l : null;
    }, 'a lens on the notebook cell');
    assert.deepEqual(all.map((l) => l.title), ['Linear Lens: mnist_cnn.onnx', ...shipped(), 'Change link…']);
    assert.deepEqual(await lenses(notebook.cellAt(0).document.uri), []);
  });
});
