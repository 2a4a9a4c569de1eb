// "Linear Lens: Show Compute Host Info" run the way a user does, from the command palette, in a
// real VS Code with the project as the extension under development (dist/ from `npm run build`).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS, ROOT, openWorkbench, waitFor } from '../harness.mjs';

// The backend name as a word of its own: "tfjs-backend-wasm" in an error about a missing package
// must not count as the host reporting that it runs on wasm.
const BACKEND = /(^|[^\w/@-])(wasm|cpu)\b/i;

describe('Linear Lens: Show Compute Host Info (UI)', function () {
  this.timeout(180_000);
  let wb;

  before(async function () {
    const main = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).main ?? './dist/extension.js';
    assert.ok(existsSync(join(ROOT, main)), `${main} does not exist: run \`npm run build\` before the e2e tests`);
    wb = await openWorkbench({ extensionPath: ROOT });
  });

  after(async function () {
    await wb?.close();
  });

  it('is in the command palette and shows which compute backend runs', async function () {
    await wb.runCommand('Linear Lens: Show Compute Host Info', { timeout: 60_000 });
    // Where the extension shows it (notification, output channel or webview) is its choice.
    let seen;
    try {
      seen = await waitFor(async () => {
        const visible = await wb.visibleText();
        if (BACKEND.test(visible)) return { where: 'window', text: visible };
        for (const [name, text] of Object.entries(wb.readOutputChannels(/linear/i))) {
          if (BACKEND.test(text)) return { where: `output channel "${name}"`, text };
        }
        return null;
      }, { timeout: 90_000, what: 'text naming the compute backend (wasm or cpu)' });
    } finally {
      await wb.screenshot('host-info');
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'host-info.txt'), `backend seen in ${seen.where}:\n${seen.text}\n`);
    const errors = await wb.page.locator('.notifications-toasts .notification-list-item')
      .filter({ has: wb.page.locator('.codicon-error') }).allInnerTexts();
    assert.deepEqual(errors, [], `error notifications after Show Compute Host Info (backend seen in ${seen.where})`);
  });
});
