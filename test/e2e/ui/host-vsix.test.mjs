// The packaged extension: a .vsix made with vsce (from dist/ as built; LINEAR_LENS_VSIX names one
// made by `npm run package` instead) is installed into code-server with --install-extension, and a
// window WITHOUT an extension under development runs "Show Compute Host Info" from the installed
// copy; the installed CLI reads a Keras model with no node_modules beside it.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, getSession, installExtension, openWorkbench, uninstallExtension } from '../harness.mjs';
import { startedPids, waitForNotification, waitForStatus } from './host-helpers.mjs';

const ID = 'linear-lens.linear-lens';

describe('Linear Lens installed from its .vsix (UI)', function () {
  this.timeout(300_000);
  let wb;
  let tmp;
  let installedDir;

  before(async function () {
    let vsix = process.env.LINEAR_LENS_VSIX;
    if (!vsix) {
      assert.ok(existsSync(join(ROOT, 'dist', 'extension.js')), 'run `npm run build` before the e2e tests');
      tmp = mkdtempSync(join(tmpdir(), 'linear-lens-vsix-'));
      vsix = join(tmp, 'linear-lens.vsix');
      const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies',
        '--allow-missing-repository', '--no-rewrite-relative-links', '--out', vsix], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 0, `vsce package failed:\n${r.stdout}\n${r.stderr}`);
    }
    const listing = execFileSync('unzip', ['-Z1', vsix], { encoding: 'utf8' }).split('\n');
    for (const f of ['extension/dist/extension.js', 'extension/dist/host.js', 'extension/dist/cli.js', 'extension/dist/tfjs-backend-wasm.wasm',
      'extension/dist/webview/panel.js', 'extension/media/icon.svg', 'extension/LICENSE.txt']) {
      assert.ok(listing.includes(f), `${f} is not in the .vsix`);
    }
    assert.ok(!listing.some((f) => f.endsWith('.map') || f.includes('gallery') || f.includes('node_modules/')), `dev files in the .vsix:\n${listing.join('\n')}`);
    await installExtension(vsix);
    const { server } = await getSession();
    const exts = join(server.stateDir, 'exts');
    const dir = readdirSync(exts).find((d) => d.startsWith(`${ID}-`));
    assert.ok(dir, `no ${ID} folder in ${exts}: ${readdirSync(exts).join(', ')}`);
    installedDir = join(exts, dir);
    wb = await openWorkbench({ extensionPath: null });
  });

  after(async function () {
    await wb?.close();
    await uninstallExtension(ID).catch(() => {});
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('runs "Show Compute Host Info" from the installed extension', async function () {
    const title = await wb.page.title();
    assert.doesNotMatch(title, /Extension Development Host/, 'the window must not load the project as a development extension');
    await wb.runCommand('Linear Lens: Show Compute Host Info', { timeout: 90_000 });
    await waitForNotification(wb, /Linear Lens computes on wasm \(CPU.*\) \(compute host pid \d+\)/, 90_000);
    await waitForStatus(wb, /Linear Lens: wasm \(CPU\)/);
    await wb.screenshot('vsix-host-info');
    const pid = startedPids(wb).at(-1);
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    assert.ok(cmdline.includes(join(installedDir, 'dist', 'host.js')), `the host runs from the installed extension: ${cmdline.join(' ')}`);
  });

  it('the installed CLI reads a Keras model with only the bundle (no node_modules)', function () {
    assert.ok(!existsSync(join(installedDir, 'node_modules')));
    const out = execFileSync(process.execPath, [join(installedDir, 'dist', 'cli.js'), 'info', join(ROOT, 'examples', 'models', 'mlp-seed1-keras', 'model.h5'), '--json'],
      { encoding: 'utf8', cwd: tmpdir(), timeout: 60_000 });
    const info = JSON.parse(out);
    assert.equal(info.format, 'keras-h5');
    assert.ok(info.paramCount > 0);
  });
});
