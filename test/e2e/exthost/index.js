// Mocha runner for suites that run INSIDE the VS Code extension host (extensionTestsPath).
// VS Code calls run(); its promise settling ends the test run (codeAutomationExit on the web).
// Each test's outcome is printed as one machine-readable line that test/e2e/harness.mjs picks up
// from the forwarded extension host console, so run.mjs can report tests one by one.
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const RESULT_PREFIX = '##linear-lens-e2e ';

function loadMocha() {
  // mocha >= 12 is ESM-only: require() gives its namespace (Node >= 20.19), older ones the class.
  const m = require('mocha');
  return m.default ?? m.Mocha ?? m;
}

function fullTitle(test) {
  return test.titlePath().join(' > ');
}

function errorText(err) {
  if (!err) return '';
  return String(err.stack || err.message || err);
}

function makeReporter(Mocha) {
  const { EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING } = Mocha.Runner.constants;
  const emit = (state, test, err) => {
    const file = test.file ?? test.parent?.file;
    console.log(RESULT_PREFIX + JSON.stringify({ state, title: fullTitle(test), file, error: errorText(err) }));
    console.log(`${state === 'failed' ? 'not ok' : 'ok'} - ${fullTitle(test)}${state === 'pending' ? ' # SKIP' : ''}`);
    if (err) console.log(errorText(err).split('\n').map((l) => `    ${l}`).join('\n'));
  };
  return class LinearLensReporter extends Mocha.reporters.Base {
    constructor(runner, options) {
      super(runner, options);
      runner.on(EVENT_TEST_PASS, (t) => emit('passed', t));
      // Hook failures arrive here too (title '"before all" hook ...'), so a broken hook is reported.
      runner.on(EVENT_TEST_FAIL, (t, err) => emit('failed', t, err));
      runner.on(EVENT_TEST_PENDING, (t) => emit('pending', t));
    }
  };
}

/** Runs the given test files (absolute paths) in this extension host. */
function runFiles(files, { timeout = 60_000 } = {}) {
  const Mocha = loadMocha();
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout, reporter: makeReporter(Mocha) });
  for (const f of files) mocha.addFile(f);
  return new Promise((resolve, reject) => {
    try {
      mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} extension host test(s) failed`)) : resolve()));
    } catch (err) {
      console.log(RESULT_PREFIX + JSON.stringify({ state: 'failed', title: `loading ${files.join(', ')}`, error: errorText(err) }));
      reject(err);
    }
  });
}

/**
 * The default when this module itself is the extensionTestsPath: the suites beside it whose
 * target extension (see test/e2e/suites.mjs) is loaded in this window.
 */
async function run() {
  const vscode = require('vscode');
  const { exthostGroups } = await import(pathToFileURL(path.join(__dirname, '..', 'suites.mjs')).href);
  const loaded = new Set(vscode.extensions.all.map((e) => path.resolve(e.extensionPath)));
  const files = exthostGroups().filter((g) => loaded.has(g.extensionPath)).flatMap((g) => g.files);
  if (!files.length) throw new Error(`no suite in ${__dirname} targets an extension loaded in this window`);
  return runFiles(files);
}

module.exports = { run, runFiles, RESULT_PREFIX };
