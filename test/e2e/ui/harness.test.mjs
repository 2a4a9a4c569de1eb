// The harness's own self-test, against the throwaway probe extension (fixtures/probe-ext): if
// this fails the harness or code-server is broken; if only host-info fails, Linear Lens is.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { PROBE_EXT, openWorkbench, waitFor } from '../harness.mjs';

describe('harness self-test (UI)', function () {
  this.timeout(120_000);
  let wb;

  before(async function () {
    wb = await openWorkbench({ extensionPath: PROBE_EXT, files: { 'sample.probe.txt': 'a file the probe puts a code lens on\n' } });
  });

  after(async function () {
    await wb?.close();
  });

  it('runs a command from the palette and reads its webview', async function () {
    await wb.runCommand('Probe: Show Panel');
    const msg = wb.webviewFrame().locator('#msg');
    await msg.waitFor();
    assert.equal(await msg.textContent(), 'Hello from the probe webview');
  });

  it('sees the notification the command showed', async function () {
    await wb.notification('Probe notification: panel shown').first().waitFor();
  });

  it('reads the output channel the extension wrote', async function () {
    const text = await wb.waitForOutput('Probe Output', 'probe panel shown');
    assert.match(text, /probe activated/);
  });

  it('opens a file and clicks its code lens', async function () {
    await wb.openFile('sample.probe.txt');
    const lens = wb.codeLens('Probe lens: show panel');
    await lens.first().waitFor();
    await lens.first().click();
    await wb.page.locator('.tab', { hasText: 'Probe Panel' }).nth(1).waitFor();
  });

  it('collects the visible text of workbench and webviews', async function () {
    const text = await waitFor(async () => {
      const t = await wb.visibleText();
      return t.includes('Hello from the probe webview') && t.includes('Probe Panel') ? t : null;
    }, { what: 'webview and tab text' });
    assert.ok(text.length > 0);
  });

  it('saves a screenshot', async function () {
    const file = await wb.screenshot('harness-probe');
    assert.ok(existsSync(file), `${file} was not written`);
  });
});
