// Runs every test suite of Linear Lens and ends with one line "N passed, N failed, N skipped".
// Suites: type check, build, unit + host + reliability tests (node:test through tsx), webview tests (real
// headless Chromium), e2e tests (real VS Code: code-server + Chromium). Exit code 0 only when
// nothing failed. `node test/run.mjs unit` (or host, reliability, webview, e2e) runs one suite.
import { spawn } from 'node:child_process';
import { readdirSync, existsSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const only = process.argv.slice(2);
const want = (s) => only.length === 0 || only.includes(s);
const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];

function files(dir, re) {
  const out = [];
  const walk = (d) => {
    if (!existsSync(d)) return;
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) { if (f !== 'fixtures' && f !== 'helpers') walk(p); }
      else if (re.test(f)) out.push(p);
    }
  };
  walk(join(root, dir));
  return out;
}

/** Runs a command, streaming its output, and resolves with its exit code and text. */
function sh(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    const take = (d) => { text += d; process.stdout.write(d); };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30 * 60_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? 1, text }); });
  });
}

function step(name, ok) {
  if (ok) totals.passed++;
  else { totals.failed++; failures.push(name); }
}

/** node:test over tsx; counts come from the TAP summary. */
async function nodeTests(name, list) {
  if (list.length === 0) return;
  console.log(`\n=== ${name}: ${list.length} files ===`);
  const r = await sh(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', '--test-concurrency=1', ...list.map((f) => relative(root, f))]);
  const num = (k) => Number((r.text.match(new RegExp(`^# ${k} (\\d+)$`, 'm')) ?? [])[1] ?? 0);
  totals.passed += num('pass');
  totals.failed += num('fail') + num('cancelled');
  totals.skipped += num('skipped') + num('todo');
  if (num('fail') + num('cancelled') > 0) failures.push(name);
  if (r.code !== 0 && num('fail') + num('cancelled') === 0) step(`${name} (runner exit ${r.code})`, false);
}

/** A suite that prints its own "N passed, N failed, N skipped" line. */
async function countedSuite(name, script, args = []) {
  console.log(`\n=== ${name} ===`);
  const r = await sh(process.execPath, [script, ...args]);
  const m = [...r.text.matchAll(/^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/gm)].pop();
  if (!m) { step(`${name} (no summary, exit ${r.code})`, false); return; }
  totals.passed += Number(m[1]);
  totals.failed += Number(m[2]);
  totals.skipped += Number(m[3] ?? 0);
  if (Number(m[2]) > 0 || r.code !== 0) failures.push(name);
}

if (want('unit') || want('build')) {
  console.log('=== type check ===');
  step('type check', (await sh('npx', ['tsc', '--noEmit', '-p', '.'])).code === 0);
  console.log('=== build ===');
  step('build', (await sh('node', ['esbuild.mjs'])).code === 0);
}
if (want('unit')) await nodeTests('unit', files('test/unit', /\.test\.ts$/));
if (want('host')) await nodeTests('host', files('test/host', /\.test\.ts$/));
if (want('reliability')) await nodeTests('reliability', files('test/reliability', /\.test\.ts$/));
if (want('webview')) await nodeTests('webview', files('test/webview', /\.test\.ts$/));
if (want('e2e') && existsSync(join(root, 'test/e2e/run.mjs'))) await countedSuite('e2e', join(root, 'test/e2e/run.mjs'), ['--install']);

if (failures.length) console.log(`\nFailed: ${failures.join(', ')}`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 ? 1 : 0);
