#!/usr/bin/env node
// Runs every e2e test in a real VS Code (code-server + Debian chromium, see harness.mjs):
//   - UI tests, test/e2e/ui/*.test.mjs: mocha files driving the workbench from outside;
//   - extension host suites, test/e2e/exthost/*.test.js: mocha files run inside VS Code's
//     extension host by test/e2e/exthost/index.js, one window per extension under test.
// Prints `ok - ...` / `not ok - ...` per test and ends with exactly one line
// `N passed, N failed, N skipped`; exit code 0 only when nothing failed.
//
// usage: node test/e2e/run.mjs [--install] [path-substring ...]   (e.g. `ui/harness`, `exthost/`)
//   --install: first run scripts/install-code-server.sh when code-server is missing (~1 min, npm only)
// env:   CI=true            missing code-server/chromium fails the run instead of skipping it
//        E2E_TIMEOUT_MS     watchdog for the whole run (default 15 min)
//        E2E_SLOW=2         multiplies every time-out (slow CI machines)
//        E2E_VERBOSE=1      echo extension host output and harness steps
//        E2E_KEEP_STATE=1   keep code-server's temp state folder (logs) after the run
//        CODE_SERVER_DIR, CHROMIUM_PATH   use these instead of .cache/code-server and /usr/bin/chromium
import Mocha from 'mocha';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { ROOT, exthostGroups, uiTestFiles } from './suites.mjs';
import {
  ARTIFACTS, TIMEOUTS, findChromium, findCodeServer, missingPrerequisites, runExtensionTests,
  screenshotAll, stopSession, withTimeout,
} from './harness.mjs';

const SLOW = Number(process.env.E2E_SLOW ?? 1) || 1;
const RUN_TIMEOUT = Number(process.env.E2E_TIMEOUT_MS ?? 15 * 60_000);
const CI = /^(1|true|yes)$/i.test(process.env.CI ?? '');
const args = process.argv.slice(2);
const INSTALL = args.includes('--install');
const filters = args.filter((a) => a !== '--install');
const started = Date.now();
const tally = { passed: 0, failed: 0, skipped: 0 };
const rel = (f) => relative(ROOT, f);
const titleOf = (t) => t.titlePath().join(' > ');   // same as the extension host runner prints
const secs = (ms) => `${(ms / 1000).toFixed(1)}s`;

function report(state, title, { ms, detail, reason } = {}) {
  if (state === 'passed') {
    tally.passed++;
    console.log(`ok - ${title}${ms !== undefined ? ` (${secs(ms)})` : ''}`);
  } else if (state === 'skipped') {
    tally.skipped++;
    console.log(`ok - ${title} # SKIP${reason ? ` ${reason}` : ''}`);
  } else {
    tally.failed++;
    console.log(`not ok - ${title}${ms !== undefined ? ` (${secs(ms)})` : ''}`);
    if (detail) console.log(String(detail).trimEnd().split('\n').map((l) => `    ${l}`).join('\n'));
  }
}

function summary() {
  console.log(`# e2e took ${secs(Date.now() - started)}; artifacts in ${rel(ARTIFACTS)}/`);
  console.log(`${tally.passed} passed, ${tally.failed} failed, ${tally.skipped} skipped`);
}

// ---------------------------------------------------------------------------------------------
// Listing tests without running them (for the skip/fail report when prerequisites are missing)

function suiteTitles(suite, prefix) {
  const out = [];
  const walk = (s) => { for (const t of s.tests) out.push(`${prefix}${titleOf(t)}`); s.suites.forEach(walk); };
  walk(suite);
  return out;
}

async function listUiTests(files) {
  const titles = [];
  for (const f of files) {
    const mocha = new Mocha();
    mocha.addFile(f);
    try {
      await mocha.loadFilesAsync();
      const t = suiteTitles(mocha.suite, 'ui: ');
      titles.push(...(t.length ? t : [`ui: ${rel(f)}`]));
    } catch {
      titles.push(`ui: ${rel(f)}`);
    }
  }
  return titles;
}

async function listExthostTests(files) {
  // Outside VS Code there is no `vscode` module; a do-nothing stand-in lets mocha collect titles.
  const require = createRequire(import.meta.url);
  const Module = require('node:module');
  const stub = new Proxy(function vscodeStub() {}, { get: (t, k) => (k === 'then' ? undefined : stub), apply: () => stub, construct: () => stub });
  const load = Module._load;
  Module._load = function (request, ...rest) { return request === 'vscode' ? stub : load.call(this, request, ...rest); };
  const titles = [];
  try {
    for (const f of files) {
      const mocha = new Mocha();
      mocha.addFile(f);
      try {
        await mocha.loadFilesAsync();
        const t = suiteTitles(mocha.suite, 'exthost: ');
        titles.push(...(t.length ? t : [`exthost: ${rel(f)}`]));
      } catch {
        titles.push(`exthost: ${rel(f)}`);
      }
    }
  } finally {
    Module._load = load;
  }
  return titles;
}

// ---------------------------------------------------------------------------------------------
// UI tests

function uiReporter() {
  const { EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING } = Mocha.Runner.constants;
  return class E2EReporter extends Mocha.reporters.Base {
    constructor(runner, options) {
      super(runner, options);
      runner.on(EVENT_TEST_PASS, (t) => report('passed', `ui: ${titleOf(t)}`, { ms: t.duration }));
      // Also hooks: a failed `before all` is the one report for the tests it kept from running.
      runner.on(EVENT_TEST_FAIL, (t, err) => report('failed', `ui: ${titleOf(t)}`, { ms: t.duration, detail: err?.stack ?? String(err) }));
      runner.on(EVENT_TEST_PENDING, (t) => report('skipped', `ui: ${titleOf(t)}`));
    }
  };
}

async function runUiTests(files) {
  if (!files.length) return;
  const mocha = new Mocha({
    timeout: 120_000 * SLOW,
    color: false,
    // A UI step can lose a race with the workbench under load (a webview taking focus, a page
    // loading after its job finished). One retry per test; every retry is printed with the
    // first failure, so a flaky test stays visible in the log. E2E_RETRIES=0 turns it off.
    retries: Number(process.env.E2E_RETRIES ?? 1),
    reporter: uiReporter(),
    rootHooks: {
      async afterEach() {
        // Before the suite's own `after` closes its windows, so the picture shows the failure.
        if (this.currentTest?.state === 'failed') await screenshotAll(`failed-${titleOf(this.currentTest)}`).catch(() => {});
      },
    },
  });
  for (const f of files) mocha.addFile(f);
  try {
    await mocha.loadFilesAsync();
  } catch (e) {
    report('failed', `ui: loading ${files.map(rel).join(', ')}`, { detail: e?.stack ?? String(e) });
    return;
  }
  await new Promise((resolve) => {
    const runner = mocha.run(resolve);
    runner.on('retry', (test, err) => console.log(`retry - ui: ${test.fullTitle()}: ${String(err?.message ?? err).split('\n')[0]}`));
  });
}

// ---------------------------------------------------------------------------------------------
// Extension host suites

async function runExthostGroup({ extensionPath, files }) {
  const label = `exthost: [${rel(extensionPath) || '.'}]`;
  const t0 = Date.now();
  let result;
  try {
    result = await runExtensionTests({
      extensionPath, files,
      onLog: process.env.E2E_VERBOSE ? (l) => console.log(`#   ${l}`) : undefined,
    });
  } catch (e) {
    report('failed', `${label} ${files.map(rel).join(', ')}`, { ms: Date.now() - t0, detail: e?.stack ?? String(e) });
    return;
  }
  const { code, results, log } = result;
  for (const r of results) {
    const title = `exthost: ${r.title}`;
    if (r.state === 'passed') report('passed', title);
    else if (r.state === 'pending') report('skipped', title);
    else report('failed', title, { detail: r.error });
  }
  const anyFailed = results.some((r) => r.state === 'failed');
  if (code !== 0 && !anyFailed) {
    // Nothing reported a failure, yet the run did not succeed: it crashed, could not load the
    // runner, or timed out. The tail of the extension host's console says which.
    const why = code === 124 ? `timed out after ${secs(TIMEOUTS.extensionTests)}` : `exit code ${code}`;
    report('failed', `${label} ${files.map(rel).join(', ')}: ${why}`, { ms: Date.now() - t0, detail: log.slice(-40).join('\n') });
  } else if (code === 0 && results.length === 0) {
    report('failed', `${label} ${files.map(rel).join(', ')}: no test reported a result`, { detail: log.slice(-40).join('\n') });
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const ui = uiTestFiles(filters);
  const groups = exthostGroups(filters);
  if (!ui.length && !groups.length) {
    console.log(`# no e2e test files match ${filters.join(' ')}`);
    return filters.length ? 1 : 0;
  }

  if (INSTALL && !findCodeServer()) {
    const logFile = join(ROOT, '.cache', 'install-code-server.log');
    console.log(`# installing code-server: scripts/install-code-server.sh > ${rel(logFile)}`);
    mkdirSync(dirname(logFile), { recursive: true });
    const fd = openSync(logFile, 'w');
    const r = spawnSync('bash', [join(ROOT, 'scripts', 'install-code-server.sh')], { stdio: ['ignore', fd, fd], timeout: 15 * 60_000 });
    closeSync(fd);
    if (r.status !== 0) {
      console.log(`# scripts/install-code-server.sh failed (${r.error?.message ?? `exit ${r.status}`}); its last lines:`);
      console.log(readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-25).map((l) => `#   ${l}`).join('\n'));
    }
  }
  const missing = missingPrerequisites();
  if (missing.length) {
    const titles = [...await listUiTests(ui), ...await listExthostTests(groups.flatMap((g) => g.files))];
    for (const m of missing) console.log(`# ${m}`);
    if (CI) {
      // CI must never go green by silently skipping the real-VS-Code tests.
      console.log('# CI is set: missing e2e prerequisites fail the run');
      for (const t of titles) report('failed', t, { detail: `not run: ${missing.join('; ')}` });
    } else {
      for (const t of titles) report('skipped', t, { reason: 'e2e prerequisites missing (see above)' });
    }
    return tally.failed ? 1 : 0;
  }

  // Stale screenshots from an earlier run would pass for this run's evidence.
  rmSync(ARTIFACTS, { recursive: true, force: true });
  console.log(`# code-server: ${rel(findCodeServer()) || findCodeServer()}; chromium: ${findChromium()}; node ${process.version}`);
  try {
    await runUiTests(ui);
    for (const g of groups) await runExthostGroup(g);
  } finally {
    await withTimeout(stopSession(), 30_000, 'e2e session to stop').catch((e) => console.log(`# ${e.message}`));
  }
  return tally.failed ? 1 : 0;
}

const watchdog = setTimeout(async () => {
  report('failed', `e2e run exceeded E2E_TIMEOUT_MS=${RUN_TIMEOUT}`);
  await withTimeout(stopSession(), 20_000, 'e2e session to stop').catch(() => {});
  summary();
  process.exit(1);
}, RUN_TIMEOUT);

let code;
try {
  code = await main();
} catch (e) {
  report('failed', 'e2e runner', { detail: e?.stack ?? String(e) });
  await withTimeout(stopSession(), 20_000, 'e2e session to stop').catch(() => {});
  code = 1;
}
clearTimeout(watchdog);
summary();
// Explicit: a leftover handle (a browser pipe, a timer in a test) must not keep the run alive.
process.exit(code);
