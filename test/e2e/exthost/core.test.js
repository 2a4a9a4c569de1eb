// Inside the extension host with the project as the extension under development: activation wires
// every part (each contributed command is registered), the host commands answer with real results,
// and the settings the host is started with restart it (backend, nodePath; a bad nodePath stops it
// with a reason, a fixed one brings it back).
const assert = require('node:assert/strict');
const vscode = require('vscode');

const EXTENSION_ID = 'linear-lens.linear-lens';
const CORE_COMMANDS = ['linearLens.selectDataset', 'linearLens.restartHost', 'linearLens.showHostLog', 'linearLens.enableGpu', 'linearLens.showHostInfo'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(fn, what, timeout = 60_000) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const hostInfo = () => vscode.commands.executeCommand('linearLens.showHostInfo');
const config = () => vscode.workspace.getConfiguration('linearLens');

describe('Linear Lens core (extension host)', function () {
  this.timeout(120_000);

  before(async function () {
    await vscode.extensions.getExtension(EXTENSION_ID).activate();
  });

  after(async function () {
    for (const key of ['backend', 'nodePath']) await config().update(key, undefined, vscode.ConfigurationTarget.Workspace);
  });

  it('registers every command the manifest contributes', async function () {
    const contributed = vscode.extensions.getExtension(EXTENSION_ID).packageJSON.contributes.commands.map((c) => c.command);
    for (const c of CORE_COMMANDS) assert.ok(contributed.includes(c), `${c} is not in package.json`);
    const registered = await vscode.commands.getCommands(true);
    const missing = contributed.filter((c) => !registered.includes(c));
    assert.deepEqual(missing, [], 'contributed commands without a handler');
  });

  it('Show Compute Host Info answers with the host info of a separate process', async function () {
    const info = await hostInfo();
    assert.ok(info, 'no host info');
    assert.equal(info.backend.name, 'wasm');
    assert.notEqual(info.pid, process.pid);
    assert.ok(alive(info.pid));
    assert.ok(info.backend.notUsed.some((n) => n.backend === 'tensorflow'));
  });

  it('Restart Compute Host starts a new process and ends the old one', async function () {
    const before = await hostInfo();
    const after = await vscode.commands.executeCommand('linearLens.restartHost');
    assert.ok(after, 'no info after the restart');
    assert.notEqual(after.pid, before.pid);
    await until(() => !alive(before.pid), `the old host ${before.pid} to exit`, 10_000);
  });

  it('changing linearLens.backend restarts the idle host on that backend', async function () {
    const before = await hostInfo();
    await config().update('backend', 'cpu', vscode.ConfigurationTarget.Workspace);
    const info = await until(async () => {
      const i = await hostInfo();
      return i?.backend.name === 'cpu' ? i : null;
    }, 'the host to run on cpu');
    assert.notEqual(info.pid, before.pid);
    assert.equal(info.backend.device, 'cpu (plain JavaScript)');
    await config().update('backend', undefined, vscode.ConfigurationTarget.Workspace);
    await until(async () => (await hostInfo())?.backend.name === 'wasm', 'the host back on wasm');
  });

  it('a linearLens.nodePath that does not exist stops the host; a working one starts it again', async function () {
    await config().update('nodePath', '/nonexistent/node', vscode.ConfigurationTarget.Workspace);
    await until(async () => (await hostInfo()) === undefined, 'the host to stop over the bad nodePath');
    // A Node that exists (the one running this extension host) brings it back without a manual restart.
    await config().update('nodePath', process.execPath, vscode.ConfigurationTarget.Workspace);
    const info = await until(() => hostInfo(), 'the host to start with the fixed nodePath');
    assert.equal(info.versions.node, process.versions.node);
    await config().update('nodePath', undefined, vscode.ConfigurationTarget.Workspace);
  });
});

describe('Linear Lens HostService through the extension\'s exports (extension host)', function () {
  this.timeout(120_000);
  let host;

  before(async function () {
    host = (await vscode.extensions.getExtension(EXTENSION_ID).activate()).host;
    assert.ok(host && typeof host.run === 'function', 'activate() exports the host service');
  });

  it('runs a job under a progress notification, lists it in jobs() while it runs, streams partials', async function () {
    const partials = [];
    let listed = [];
    const sub = host.onDidChangeJobs(() => {
      if (host.jobs().length > 0) listed = host.jobs();
    });
    try {
      const result = await host.run('host/selfTest', { batches: 8, size: 16, delayMs: 40 }, { title: 'self test (e2e)', onPartial: (p) => partials.push(p.batch) });
      assert.equal(result.batches, 8);
      assert.deepEqual(partials, [0, 1, 2, 3, 4, 5, 6, 7].slice(0, partials.length));
      assert.equal(partials.length, 8);
      assert.equal(listed.length, 1);
      assert.equal(listed[0].title, 'self test (e2e)');
      assert.equal(listed[0].method, 'host/selfTest');
      assert.equal(host.jobs().length, 0);
      assert.equal(host.state().status, 'running');
    } finally {
      sub.dispose();
    }
  });

  it('a caller\'s token cancels the job: it rejects as cancelled and the host lives on', async function () {
    const source = new vscode.CancellationTokenSource();
    const job = host.run('host/selfTest', { batches: 500, size: 16, delayMs: 20 }, { title: 'cancelled (e2e)', notification: false, token: source.token });
    await until(() => host.jobs().length > 0, 'the job to start', 30_000);
    source.cancel();
    await assert.rejects(job, (e) => e.kind === 'cancelled');
    assert.equal(host.jobs().length, 0);
    assert.equal(host.state().status, 'running');
  });

  it('cancel(jobId) from the job list stops a job (what the side view does)', async function () {
    const job = host.run('host/selfTest', { batches: 500, size: 16, delayMs: 20 }, { title: 'cancel by id (e2e)', notification: false });
    const [view] = await until(() => (host.jobs().length > 0 ? host.jobs() : null), 'the job to be listed', 30_000);
    await host.cancel(view.id);
    await assert.rejects(job, (e) => e.kind === 'cancelled');
  });

  it('a job whose host is killed rejects with a clear error, and the host comes back', async function () {
    const pid = (await host.info()).pid;
    const job = host.run('host/selfTest', { batches: 500, size: 16, delayMs: 20 }, { title: 'killed (e2e)', notification: false });
    await until(() => host.jobs().length > 0, 'the job to start', 30_000);
    process.kill(pid, 'SIGKILL');
    await assert.rejects(job, (e) => e.kind === 'connection' && /The compute host stopped while running "killed \(e2e\)" \(killed by SIGKILL\)\. It is being restarted; run it again\./.test(e.message));
    const info = await until(async () => (host.state().status === 'running' ? host.state().info : null), 'the host to be back', 30_000);
    assert.notEqual(info.pid, pid);
    assert.equal(host.state().recentCrashes, 1);
  });
});
