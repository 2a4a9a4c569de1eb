// The shipped analyses in a real VS Code, on a temp copy of examples/ (models and
// Fashion-MNIST), driven like a user: the dataset picked with "Select Dataset…", then the linear
// interpreter, linear mode connectivity and LLFC started from the command palette (quick picks
// and input box answered), their figures drawn, a click on the input figure answered with a new
// figure, a click on an output pixel of an image-to-image model answered with its rows of A, the
// overview's analysis buttons, and the interpreter panel restored from the cache after a window
// reload. It also takes the README's pictures (E2E_DOCS_IMAGES=1 copies them to docs/images/).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, openWorkbench, waitFor } from '../harness.mjs';
import { canvasColours, pageFrame, revealPanel, tab } from './webviews.mjs';

const DATASET = 't10k-images-idx3-ubyte.gz';
const INTERPRETER_TITLE = `Linear interpreter: model.json at ${DATASET} #0`;
const INTERPRETER_HEADING = `model.json at ${DATASET} #0`;
const DOCS = process.env.E2E_DOCS_IMAGES ? join(ROOT, 'docs', 'images') : null;

async function assertDrawn(frame, id) {
  const canvases = await canvasColours(frame, id);
  assert.ok(canvases.some((c) => c.w > 50 && c.h > 50 && c.colours > 3), `${id} is drawn: ${JSON.stringify(canvases)}`);
}

/** The rows of a result table (figure[data-table-id]) as arrays of cell texts. */
async function tableRows(frame, id) {
  return frame.locator(`figure[data-table-id="${id}"] tbody tr`).evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent.trim())));
}

/** A line figure's data table (opened), as rows of cell texts: x, then one cell per series ('–': none yet). */
async function lineData(frame, id) {
  return frame.locator(`figure[data-figure-id="${id}"] details.ll-data`).evaluate(async (d) => {
    // The table is built on the 'toggle' event, which comes after opening.
    if (!d.open) { d.open = true; await new Promise((r) => setTimeout(r, 100)); }
    return [...d.querySelectorAll('tbody tr')].map((r) => [...r.children].map((c) => c.textContent.trim()));
  });
}

const filled = (rows) => rows.reduce((n, r) => n + r.slice(1).filter((c) => c !== '–' && c !== '').length, 0);

/** Clicks the row of the open quick pick whose text contains `text`. */
async function pick(wb, text, { timeout = 60_000 } = {}) {
  const row = wb.page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
  await row.waitFor({ timeout });
  await row.click();
}

/** Answers the model quick pick with `label` when one is shown (the command may take the active editor's model). */
async function pickModelIfAsked(wb, label, next) {
  const title = wb.page.locator('.quick-input-widget .quick-input-title');
  await waitFor(async () => (await wb.page.locator('.quick-input-widget').isVisible()) && (await title.innerText().catch(() => '')).length > 0,
    { what: 'a quick pick', timeout: 60_000 });
  const t = await title.innerText();
  if (!new RegExp(next).test(t)) await pick(wb, label);
}

/** Answers the interpreter's input questions: a sample of the dataset, index 0. */
async function answerSample(wb) {
  await pick(wb, `A sample of ${DATASET}`);
  const input = wb.page.locator('.quick-input-widget input');
  await waitFor(async () => (await input.inputValue()) === '0', { what: 'the sample index box' });
  await input.press('Enter');
}

/** Opens `dir`/model.json through Quick Open (the harness' openFile takes the first model.json listed). */
async function openModel(wb, dir) {
  const { page } = wb;
  await wb.dismissQuickInput();
  await wb.focusWorkbench();
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`${dir}/model.json`);
  const row = page.locator('.quick-input-list .monaco-list-row').filter({ has: page.locator('.label-description', { hasText: new RegExp(`^${dir}$`) }) }).first();
  await row.waitFor();
  await row.click();
  await page.locator('.tab.active', { hasText: 'model.json' }).waitFor();
}

function docsImage(file, name) {
  if (!DOCS) return;
  mkdirSync(DOCS, { recursive: true });
  copyFileSync(file, join(DOCS, name));
}

describe('Linear Lens analyses: interpreter, mode connectivity, LLFC (UI)', function () {
  this.timeout(600_000);
  let wb;
  let folder;
  let millis;

  before(async function () {
    assert.ok(existsSync(join(ROOT, 'dist', 'webview', 'panel.js')), 'run `npm run build` before the e2e tests');
    folder = mkdtempSync(join(tmpdir(), 'll-e2e-analyses-'));
    cpSync(join(ROOT, 'examples'), folder, { recursive: true });
    copyFileSync(join(ROOT, 'test', 'e2e', 'fixtures', 'codelens', 'mnist_train.py'), join(folder, 'mnist_train.py'));
    copyFileSync(join(ROOT, 'examples', 'models', 'cnn-seed1-onnx', 'model.onnx'), join(folder, 'mnist_cnn.onnx'));
    // An image-to-image model (28×28×1 → 28×28×2, two 3×3 convs) for the output-pixel click, and
    // a logistic regression whose accuracy map trains in seconds.
    for (const [kind, dir] of [['image-to-image', 'denoiser'], ['logistic', 'logistic']]) {
      const made = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'test/e2e/fixtures/models/write.ts'), kind, join(folder, 'models', dir)], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(made.status, 0, made.stderr);
    }
    wb = await openWorkbench({ folder, viewport: { width: 1400, height: 860 } });
  });

  after(async function () {
    await wb?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('selects the dataset with "Select Dataset…"', async function () {
    await wb.runCommand('Linear Lens: Select Dataset…', { timeout: 90_000 });
    await pick(wb, DATASET);
    await wb.waitForOutput('Linear Lens', `dataset: ${join(folder, 'data', 'fashion-mnist', DATASET)}`);
  });

  it('linear interpreter from the palette: vote maps, logit split, exactness; a click on the input adds a column of A', async function () {
    await openModel(wb, 'models/cnn-seed1');
    await wb.runCommand('Linear Lens: Linear Interpreter…');
    await pickModelIfAsked(wb, 'cnn-seed1/model.json', 'which input');
    await answerSample(wb);
    await tab(wb, INTERPRETER_TITLE).waitFor({ timeout: 60_000 });
    const panel = await pageFrame(wb, 'panel', { heading: INTERPRETER_HEADING });
    await panel.locator('figure[data-table-id="summary"]').waitFor({ timeout: 180_000 });
    assert.deepEqual(await panel.locator('figure.ll-figure[data-figure-id]').evaluateAll((fs) => fs.map((f) => f.dataset.figureId)),
      ['input', 'votes', 'contributions', 'split', 'singular']);
    for (const id of ['input', 'votes', 'contributions', 'split', 'singular']) await assertDrawn(panel, id);
    // The number of vote maps (10) is not read here: the image grid draws its tiles on one canvas.
    assert.match(await panel.locator('figure[data-figure-id="votes"] figcaption').innerText(), /Rows of A/);
    const rows = await tableRows(panel, 'summary');
    const exact = rows.find((r) => /exactness/.test(r[0]));
    assert.ok(exact, `the summary has the exactness: ${JSON.stringify(rows)}`);
    assert.ok(Number(exact[1]) < 1e-5, `exactness ${exact[1]}`);
    millis = rows.find((r) => /computed in/.test(r[0]))[1];
    await wb.screenshot('analyses-interpreter');

    const canvas = panel.locator('figure[data-figure-id="input"] canvas').first();
    await canvas.scrollIntoViewIfNeeded();
    // The x₀ tile: 28 px × 6 CSS px at (PAD, PAD + title); its middle is pixel (14, 14).
    const box = await canvas.boundingBox();
    await wb.page.mouse.click(box.x + 8 + 14.5 * 6, box.y + 8 + 18 + 14.5 * 6);
    const column = panel.locator('figure[data-figure-id="column"] figcaption');
    await column.waitFor({ timeout: 60_000 });
    assert.match(await column.innerText(), /^Column of A for input pixel \(\d+, \d+\)/);
    await assertDrawn(panel, 'column');
    await wb.screenshot('analyses-interpreter-column');
  });

  it('the overview of cnn-seed1 has a button per analysis; "Linear interpreter" starts the same flow', async function () {
    await wb.runCommand('View: Close All Editors');
    await openModel(wb, 'models/cnn-seed1');
    await wb.runCommand('Linear Lens: Open Model Overview');
    const overview = await pageFrame(wb, 'overview');
    const buttons = overview.locator('[data-section="analyses"] vscode-button[data-action^="analysis:"]');
    await waitFor(async () => (await buttons.count()) === 6, { timeout: 60_000, what: 'six analysis buttons' });
    assert.deepEqual(await buttons.evaluateAll((bs) => bs.map((b) => [b.dataset.action, b.textContent.trim()])), [
      ['analysis:interpreter', 'Linear interpreter…'],
      ['analysis:lmc', 'Mode connectivity…'],
      ['analysis:llfc', 'Feature connectivity (LLFC)…'],
      ['analysis:nad', 'Neural anisotropy directions…'],
      ['analysis:nadMap', 'Directional accuracy map…'],
      ['analysis:efcn', 'CNN to eFCN…'],
    ]);
    await wb.screenshot('analyses-overview');
    await overview.locator('vscode-button[data-action="analysis:interpreter"]').click();
    await answerSample(wb);
    await tab(wb, INTERPRETER_TITLE).waitFor({ timeout: 60_000 });
    assert.equal(await wb.page.locator('.editor-group-container').count(), 2, 'the panel opened beside the overview');
    const panel = await pageFrame(wb, 'panel', { heading: INTERPRETER_HEADING });
    await panel.locator('figure[data-table-id="summary"]').waitFor({ timeout: 180_000 });
    await assertDrawn(panel, 'votes');
    await wb.page.mouse.move(5, 5);
    docsImage(await wb.screenshot('analyses-interpreter-beside-overview'), 'vscode-interpreter.png');
  });

  it('comes back after "Developer: Reload Window" from the cache', async function () {
    await tab(wb, INTERPRETER_TITLE).click();
    await wb.runCommand('Developer: Reload Window');
    await wb.page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    await tab(wb, INTERPRETER_TITLE).waitFor({ timeout: 90_000 });
    const panel = await revealPanel(wb, INTERPRETER_TITLE, INTERPRETER_HEADING);
    await panel.locator('figure[data-table-id="summary"]').waitFor({ timeout: 30_000 });
    const rows = await tableRows(panel, 'summary');
    assert.equal(rows.find((r) => /computed in/.test(r[0]))[1], millis, 'the same result: restored from the cache, not computed again');
    await assertDrawn(panel, 'votes');
    await wb.screenshot('analyses-interpreter-restored');
  });

  it('an image-to-image model: the output is an image, and a click on an output pixel shows its rows of A', async function () {
    await wb.runCommand('View: Close All Editors');
    await openModel(wb, 'models/denoiser');
    await wb.runCommand('Linear Lens: Linear Interpreter…');
    await pickModelIfAsked(wb, 'denoiser/model.json', 'which input');
    await answerSample(wb);
    await tab(wb, INTERPRETER_TITLE).waitFor({ timeout: 60_000 });
    const panel = await pageFrame(wb, 'panel', { heading: INTERPRETER_HEADING });
    await panel.locator('figure[data-table-id="summary"]').waitFor({ timeout: 180_000 });
    const ids = await panel.locator('figure.ll-figure[data-figure-id]').evaluateAll((fs) => fs.map((f) => f.dataset.figureId));
    assert.ok(ids.includes('output') && !ids.includes('split') && !ids.includes('votes'), `an output image, no logit bars or vote maps: ${ids}`);
    await assertDrawn(panel, 'output');

    const canvas = panel.locator('figure[data-figure-id="output"] canvas').first();
    await canvas.scrollIntoViewIfNeeded();
    // The F(x₀) tile is laid out as the x₀ tile above: 28 px × 6 CSS px at (PAD, PAD + title).
    const box = await canvas.boundingBox();
    await wb.page.mouse.click(box.x + 8 + 9.5 * 6, box.y + 8 + 18 + 20.5 * 6);
    const caption = panel.locator('figure[data-figure-id="row"] figcaption');
    await caption.waitFor({ timeout: 60_000 });
    const m = (await caption.innerText()).match(/^Row of A for output pixel \((\d+), (\d+)\)/);
    assert.ok(m, await caption.innerText());
    // The click lands on the pixel it aimed at, give or take one for rounding of the layout.
    assert.ok(Math.abs(Number(m[1]) - 20) <= 1 && Math.abs(Number(m[2]) - 9) <= 1, `clicked (20, 9), got (${m[1]}, ${m[2]})`);
    await assertDrawn(panel, 'row');
    await wb.screenshot('analyses-interpreter-output-row');
  });

  it('linear mode connectivity from the palette: curves grow, barriers naive ≫ weight matching', async function () {
    await wb.runCommand('View: Close All Editors');
    await openModel(wb, 'models/mlp-seed1');
    await wb.runCommand('Linear Lens: Linear Mode Connectivity…');
    await pickModelIfAsked(wb, 'mlp-seed1/model.json', 'second network');
    await pick(wb, 'mlp-seed2/model.json');
    const panel = await pageFrame(wb, 'panel', { heading: undefined, timeout: 60_000 });
    await panel.locator('figure[data-figure-id="loss"]').waitFor({ timeout: 60_000 });
    // Points arrive one by one while the host computes.
    const counts = [];
    await waitFor(async () => {
      if (await panel.locator('figure[data-table-id="barriers"]').count()) return true;
      counts.push(filled(await lineData(panel, 'loss')));
      return false;
    }, { timeout: 300_000, interval: 1000, what: 'the LMC result' });
    const final = await lineData(panel, 'loss');
    assert.equal(final.length, 25, '25 values of α');
    assert.ok(final.every((r) => r.length === 4 && r.slice(1).every((c) => c !== '–')), `3 full series: ${JSON.stringify(final.slice(0, 3))}`);
    // Under load the panel's page can finish loading after the job did; growth is then not
    // observable here (panels.test.mjs checks streaming with a deliberately slow analysis).
    const growing = counts.filter((c) => c > 0);
    if (growing.length >= 2) assert.ok(growing.at(-1) >= growing[0] && growing.every((c) => c <= 75), `the curves grew while computing: ${counts.join(',')}`);
    else console.log(`LMC finished before the panel could be sampled twice (${counts.join(',') || 'no samples'})`);
    const barriers = await tableRows(panel, 'barriers');
    assert.equal(await panel.locator('h1').first().innerText(), 'mlp-seed1/model.json ↔ mlp-seed2/model.json');
    assert.deepEqual(barriers.map((r) => r[0]), ['naive', 'weight matching', 'weight matching + REPAIR']);
    const naive = Number(barriers[0][1]);
    const wm = Number(barriers[1][1]);
    assert.ok(naive > 5 * wm, `naive barrier ${naive} > 5 × weight matching ${wm}`);
    for (const id of ['loss', 'accuracy', 'layerwise']) await assertDrawn(panel, id);
    await lineData(panel, 'loss').then(() => panel.locator('figure[data-figure-id="loss"] details.ll-data').evaluate((d) => { d.open = false; }));
    await wb.page.mouse.move(5, 5);
    docsImage(await wb.screenshot('analyses-lmc'), 'vscode-lmc.png');
  });

  it('feature connectivity (LLFC) with B aligned by weights: heat maps', async function () {
    await wb.runCommand('View: Close All Editors');
    await openModel(wb, 'models/cnn-seed1');
    await wb.runCommand('Linear Lens: Feature Connectivity (LLFC)…');
    await pickModelIfAsked(wb, 'cnn-seed1/model.json', 'second network');
    await pick(wb, 'cnn-seed2/model.json');
    await pick(wb, 'weights');
    const panel = await pageFrame(wb, 'panel', { timeout: 60_000 });
    await panel.locator('figure[data-figure-id="distance"]').waitFor({ timeout: 300_000 });
    for (const id of ['distance', 'scale', 'curves']) await assertDrawn(panel, id);
    assert.equal(await panel.locator('h1').first().innerText(), 'cnn-seed1/model.json ↔ cnn-seed2/model.json (B aligned by weights)');
    await wb.screenshot('analyses-llfc');
  });

  it('CNN to eFCN from the palette: residual, sizes and sparsity of every conv as a dense matrix', async function () {
    await wb.runCommand('View: Close All Editors');
    await openModel(wb, 'models/cnn-seed1');
    await wb.runCommand('Linear Lens: CNN to eFCN…');
    await pickModelIfAsked(wb, 'cnn-seed1/model.json', 'eFCN');
    await pick(wb, 'Convert only');
    const panel = await pageFrame(wb, 'panel', { timeout: 60_000 });
    await panel.locator('figure[data-table-id="layers"]').waitFor({ timeout: 180_000 });
    await assertDrawn(panel, 'sparsity');
    const summary = await tableRows(panel, 'summary');
    const residual = Number(summary.find((r) => r[0].startsWith('max |eFCN'))[1]);
    assert.ok(residual < 1e-5, `eFCN residual ${residual}`);
    const layers = await tableRows(panel, 'layers');
    assert.deepEqual(layers.map((r) => r[0]), ['conv1', 'conv2']);
    await wb.screenshot('analyses-efcn');
  });

  it('neural anisotropy directions from the palette: NAD images, their spectra and the eigenvalues', async function () {
    await wb.runCommand('View: Close All Editors');
    await openModel(wb, 'models/cnn-seed1');
    await wb.runCommand('Linear Lens: Neural Anisotropy Directions…');
    await pickModelIfAsked(wb, 'cnn-seed1/model.json', 'how many');
    await pick(wb, '200');
    const panel = await pageFrame(wb, 'panel', { timeout: 60_000 });
    await panel.locator('figure[data-table-id="energy"]').waitFor({ timeout: 400_000 });
    for (const id of ['nads', 'spectra', 'eigenvalues']) await assertDrawn(panel, id);
    const energy = await tableRows(panel, 'energy');
    assert.equal(energy.length, 16, 'the top 16 NADs');
    await wb.screenshot('analyses-nad');
  });

  it('directional accuracy map from the palette: the heat map fills in direction by direction; flat for logistic regression', async function () {
    await wb.runCommand('View: Close All Editors');
    await openModel(wb, 'models/logistic');
    await wb.runCommand('Linear Lens: Directional Accuracy Map…');
    await pickModelIfAsked(wb, 'logistic/model.json', 'Directional accuracy map');
    await pick(wb, 'Quick');
    const panel = await pageFrame(wb, 'panel', { timeout: 60_000 });
    // While it trains, the heading counts the directions done so far.
    const seen = [];
    await waitFor(async () => {
      if (await panel.locator('figure[data-table-id="directions"]').count()) return true;
      const m = (await panel.locator('h1').first().innerText().catch(() => '')).match(/^(\d+) of (\d+) directions$/);
      if (m && Number(m[1]) !== seen.at(-1)) seen.push(Number(m[1]));
      return false;
    }, { timeout: 400_000, interval: 500, what: 'the accuracy map' });
    assert.ok(seen.every((n, i) => i === 0 || n > seen[i - 1]), `directions done only grow: ${seen}`);
    if (seen.length < 2) console.log(`accuracy map finished before its growth could be sampled twice (${seen.join(',') || 'no samples'})`);
    await assertDrawn(panel, 'map');
    // Trained here, not read back: the session's temp folder (where the host keeps its
    // per-direction cache) is its own.
    assert.equal(await panel.locator('h1').first().innerText(), 'model.json: 16 directions (0 from the cache)');
    const rows = await tableRows(panel, 'directions');
    assert.equal(rows.length, 16, 'a 4×4 grid of Fourier directions');
    const acc = rows.map((r) => Number(r[2]));
    assert.ok(acc.every((a) => a >= 0.45 && a <= 1), `accuracies: ${acc}`);
    // Logistic regression has no preferred direction (dense layer, isotropic init): a flat map,
    // up to the sampling noise of a 2,000-sample test set.
    assert.ok(Math.max(...acc) - Math.min(...acc) < 0.1, `a flat map: ${acc}`);
    await wb.screenshot('analyses-accuracy-map');
  });

  it('pictures for the README: the overview, a code lens, the side view', async function () {
    await wb.runCommand('View: Close All Editors');
    await wb.openFile('models/cnn-seed1-onnx/model.onnx');
    const overview = await pageFrame(wb, 'overview');
    await overview.locator('[data-section="layers"]').waitFor({ timeout: 60_000 });
    await wb.page.mouse.move(5, 5);
    docsImage(await wb.screenshot('analyses-overview-onnx'), 'vscode-overview.png');

    await wb.runCommand('View: Close All Editors');
    await wb.openFile('mnist_train.py');
    await wb.codeLens('Linear Lens: mnist_cnn.onnx').first().waitFor({ timeout: 90_000 });
    await wb.page.locator('.monaco-editor .view-lines', { hasText: 'class MnistCnn' }).first().waitFor();
    await wb.page.mouse.move(5, 5);
    docsImage(await wb.screenshot('analyses-codelens'), 'vscode-codelens.png');

    await wb.page.locator('.activitybar .action-item a[aria-label^="Linear Lens"], .activitybar .action-label[aria-label^="Linear Lens"]').first().click();
    const side = await pageFrame(wb, 'sideView');
    await side.locator('[data-section="recent"] .sv-recent').first().waitFor({ timeout: 30_000 });
    await side.locator('[data-section="recent"] .sv-recent').first().click();
    await pageFrame(wb, 'panel', { timeout: 60_000 });
    await wb.page.mouse.move(5, 5);
    docsImage(await wb.screenshot('analyses-sideview'), 'vscode-sideview.png');
  });
});
