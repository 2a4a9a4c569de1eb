// The "Linear Lens" palette commands in a workspace holding a copy of the project's examples/:
// every command of the core is listed under its category, and Select Dataset… offers the
// Fashion-MNIST files (images with their labels), remembers the choice and says what analyses read.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, openWorkbench, waitFor } from '../harness.mjs';
import { clearNotifications, waitForNotification } from './host-helpers.mjs';

const COMMANDS = [
  'Linear Lens: Select Dataset…',
  'Linear Lens: Restart Compute Host',
  'Linear Lens: Show Compute Host Log',
  'Linear Lens: Enable GPU Backend',
  'Linear Lens: Show Compute Host Info',
];

describe('Linear Lens commands (UI)', function () {
  this.timeout(240_000);
  let wb;
  let folder;

  before(async function () {
    folder = mkdtempSync(join(tmpdir(), 'linear-lens-examples-'));
    cpSync(join(ROOT, 'examples'), join(folder, 'examples'), { recursive: true });
    wb = await openWorkbench({ folder });
  });

  after(async function () {
    await wb?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  /** Labels of the quick input's rows, once at least one matches `re`. */
  async function rowsWhen(re) {
    const rows = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    return waitFor(async () => {
      const texts = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
      return texts.some((t) => re.test(t)) ? texts : null;
    }, { timeout: 30_000, what: `a quick pick row matching ${re}` });
  }

  it('lists every core command under "Linear Lens" in the palette', async function () {
    const labels = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row .label-name');
    // A palette opened before the extension registered its commands never lists them: reopen it.
    const seen = await waitFor(async () => {
      await wb.dismissQuickInput();
      await wb.openCommandPalette();
      await wb.page.locator('.quick-input-widget input').fill('>Linear Lens:');
      await wb.page.waitForTimeout(500);
      const t = await labels.allInnerTexts();
      return COMMANDS.every((c) => t.includes(c)) ? t : null;
    }, { timeout: 60_000, interval: 500, what: `the palette to list ${COMMANDS.join(', ')}` });
    await wb.screenshot('commands-palette');
    await wb.dismissQuickInput();
    assert.ok(seen.length >= COMMANDS.length);
  });

  it('Select Dataset… offers the Fashion-MNIST files with their labels and remembers the choice', async function () {
    await wb.runCommand('Linear Lens: Select Dataset…');
    const rows = await rowsWhen(/t10k-images-idx3-ubyte\.gz/);
    await wb.screenshot('select-dataset');
    const joined = rows.join('\n');
    assert.match(joined, /t10k-images-idx3-ubyte\.gz\s*examples\/data\/fashion-mnist IDX, labels t10k-labels-idx1-ubyte\.gz/);
    assert.match(joined, /train-images-idx3-ubyte\.gz\s*examples\/data\/fashion-mnist IDX, labels train-labels-idx1-ubyte\.gz/);
    assert.ok(!rows.some((r) => /^\S*labels-idx1/.test(r)), `labels files are offered with their images, not alone:\n${joined}`);
    assert.match(joined, /Browse…/);
    await wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 't10k-images-idx3-ubyte.gz' }).first().click();
    const n = await waitForNotification(wb, /analyses read examples\/data\/fashion-mnist\/t10k-images-idx3-ubyte\.gz/);
    assert.match(await n.innerText(), /labels t10k-labels-idx1-ubyte\.gz \(at most 2000 samples\)/);
    await wb.screenshot('select-dataset-chosen');
    await clearNotifications(wb);

    // Next time the choice comes first, marked as the current one.
    await wb.runCommand('Linear Lens: Select Dataset…');
    const again = await rowsWhen(/current/);
    assert.match(again[0], /t10k-images-idx3-ubyte\.gz\s*current · examples\/data\/fashion-mnist/);
    await wb.dismissQuickInput();
  });
});
