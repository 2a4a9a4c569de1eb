// Code lenses on model definitions, used as a user does in a real VS Code: a PyTorch class whose
// name matches a model file is linked automatically and its lens opens the model overview; a class
// with no matching file asks for one with a quick pick and remembers it; a TypeScript
// `tf.sequential(` gets its lens too; the setting `linearLens.codeLens.enabled` hides them live.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, TIMEOUTS, openWorkbench, waitFor } from '../harness.mjs';

const FIXTURES = join(ROOT, 'test', 'e2e', 'fixtures', 'codelens');
const ONNX = join(ROOT, 'test', 'fixtures', 'onnx');

const TRAIN_TS = `// A TF.js classifier; its trained weights were exported as models/classifier.onnx.
import * as tf from '@tensorflow/tfjs';

export const classifier: tf.Sequential = tf.sequential({
  layers: [tf.layers.dense({ units: 10, inputShape: [784], activation: 'softmax' })],
});
`;

describe('Code lenses on model definitions (UI)', function () {
  this.timeout(300_000);
  let wb;

  /** The lens texts of the visible editor, top to bottom (then left to right). */
  const lensTexts = async () => wb.page.locator('.codelens-decoration a').evaluateAll((links) => links
    .map((a) => ({ text: a.textContent.trim(), box: a.getBoundingClientRect() }))
    .sort((x, y) => x.box.top - y.box.top || x.box.left - y.box.left)
    .map((l) => l.text));
  const lensesOf = async (prefix) => (await lensTexts()).filter((t) => t.startsWith(prefix));
  const activeTab = (name) => wb.page.locator('.tab.active', { hasText: name });
  const writeSettings = (settings) => {
    mkdirSync(join(wb.folder, '.vscode'), { recursive: true });
    writeFileSync(join(wb.folder, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
  };

  before(async function () {
    const main = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).main ?? './dist/extension.js';
    assert.ok(existsSync(join(ROOT, main)), `${main} does not exist: run \`npm run build\` before the e2e tests`);
    wb = await openWorkbench({
      files: {
        'train.py': readFileSync(join(FIXTURES, 'train_small.py')),
        'mnist_cnn.onnx': readFileSync(join(ONNX, 'conv_grouped.onnx')),
        'models/classifier.onnx': readFileSync(join(ONNX, 'activations.onnx')),
        'web/train.ts': TRAIN_TS,
      },
    });
  });

  after(async function () {
    await wb?.close();
  });

  it('links a class to the model file its name matches, and the lens opens the model overview', async function () {
    await wb.openFile('train.py');
    const lens = wb.codeLens('Linear Lens: mnist_cnn.onnx');
    await lens.first().waitFor({ timeout: 90_000 });
    // Student matches no file: it asks.
    await wb.codeLens('Linear Lens: link a model file…').first().waitFor();
    assert.deepEqual(await lensesOf('Linear Lens:'), ['Linear Lens: mnist_cnn.onnx', 'Linear Lens: link a model file…']);
    assert.ok((await lensTexts()).includes('Change link…'), 'a linked definition offers to change its link');
    await wb.screenshot('codelens-python-linked');

    await lens.first().click();
    await activeTab('mnist_cnn.onnx').waitFor({ timeout: TIMEOUTS.action });
    // The overview is a webview (custom editor): the file's name, then its layers once the host read it.
    const text = await waitFor(async () => {
      const t = await wb.webviewFrame().locator('body').innerText({ timeout: 2000 }).catch(() => '');
      return /Layers/.test(t) ? t : null;
    }, { timeout: 90_000, what: 'the model overview of mnist_cnn.onnx to show its layers' });
    assert.match(text, /mnist_cnn\.onnx/);
    assert.match(text, /Conv/);
    await wb.screenshot('codelens-overview-opened');
  });

  it('asks for the file of an unlinked definition with a quick pick and remembers the choice', async function () {
    await wb.openFile('train.py');
    await activeTab('train.py').waitFor();
    const unlinked = wb.codeLens('Linear Lens: link a model file…');
    await unlinked.first().waitFor();
    await unlinked.first().click();
    const row = wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'classifier.onnx' }).first();
    await row.waitFor();
    const rows = await wb.page.locator('.quick-input-list .monaco-list-row').allInnerTexts();
    assert.ok(rows.some((r) => r.includes('mnist_cnn.onnx')), `the quick pick lists the workspace's model files: ${rows.join(' | ')}`);
    await wb.screenshot('codelens-link-quick-pick');
    await row.click();

    await wb.codeLens('Linear Lens: classifier.onnx').first().waitFor();
    assert.deepEqual(await lensesOf('Linear Lens:'), ['Linear Lens: mnist_cnn.onnx', 'Linear Lens: classifier.onnx']);
    await wb.screenshot('codelens-linked-by-user');

    // Remembered: closed and reopened, the file keeps both links.
    await wb.runCommand('View: Close All Editors');
    await wb.page.locator('.tab', { hasText: 'train.py' }).waitFor({ state: 'detached' });
    await wb.openFile('train.py');
    await wb.codeLens('Linear Lens: classifier.onnx').first().waitFor();
    assert.deepEqual(await lensesOf('Linear Lens:'), ['Linear Lens: mnist_cnn.onnx', 'Linear Lens: classifier.onnx']);
  });

  it('puts a lens on tf.sequential( in TypeScript', async function () {
    await wb.openFile('web/train.ts');
    await wb.codeLens('Linear Lens: classifier.onnx').first().waitFor();
    assert.deepEqual(await lensesOf('Linear Lens:'), ['Linear Lens: classifier.onnx']);
    await wb.screenshot('codelens-typescript');
  });

  it('hides the lenses while linearLens.codeLens.enabled is off', async function () {
    await wb.openFile('train.py');
    await wb.codeLens('Linear Lens: mnist_cnn.onnx').first().waitFor();
    writeSettings({ 'linearLens.codeLens.enabled': false });
    await waitFor(async () => (await wb.codeLens('Linear Lens').count()) === 0,
      { what: 'the code lenses to disappear after turning the setting off' });
    await wb.screenshot('codelens-setting-off');
    writeSettings({ 'linearLens.codeLens.enabled': true });
    await wb.codeLens('Linear Lens: mnist_cnn.onnx').first().waitFor();
  });

  it('"Change link…" links a definition that matched by name to another file', async function () {
    await wb.openFile('train.py');
    await wb.codeLens('Linear Lens: mnist_cnn.onnx').first().waitFor();
    // The first "Change link…" belongs to MnistCnn, the topmost definition.
    await wb.codeLens('Change link…').first().click();
    const row = wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'classifier.onnx' }).first();
    await row.waitFor();
    await row.click();
    await waitFor(async () => {
      const lenses = await lensesOf('Linear Lens:');
      return lenses.join() === 'Linear Lens: classifier.onnx,Linear Lens: classifier.onnx';
    }, { what: 'MnistCnn to be linked to classifier.onnx' });
    await wb.screenshot('codelens-changed-link');
  });
});
