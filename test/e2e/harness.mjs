// End-to-end harness: a real VS Code (code-server from npm: VS Code's server, web workbench and
// Node extension host) driven by Playwright in Debian's chromium. Plain ESM so it runs without a
// build. One code-server and one chromium are shared by all tests of a process (they cost seconds
// and ~1.5 GB to start); every workbench gets its own browser context, workspace folder and hence
// its own extension host, so tests do not see each other's state.
//
// Nothing here may hang: every wait has a timeout, and code-server runs in its own process group
// (setsid) that is killed on stop, on signals and on process exit.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const E2E_DIR = join(ROOT, 'test', 'e2e');
export const ARTIFACTS = resolve(process.env.E2E_ARTIFACTS ?? join(ROOT, '.test-artifacts', 'e2e'));
export const PROBE_EXT = join(E2E_DIR, 'fixtures', 'probe-ext');
export const EXTHOST_RUNNER = join(E2E_DIR, 'exthost', 'index.js');
export const CODE_SERVER_VERSION = process.env.CODE_SERVER_VERSION ?? '4.100.3';

/** Default time-outs (ms); E2E_SLOW=2 doubles them all on slow CI machines. */
const SLOW = Number(process.env.E2E_SLOW ?? 1) || 1;
export const TIMEOUTS = {
  serverStart: 60_000 * SLOW,
  workbench: 90_000 * SLOW,
  action: 30_000 * SLOW,
  extensionTests: 180_000 * SLOW,
  stop: 10_000,
};

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'extensions.ignoreRecommendations': true,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'telemetry.telemetryLevel': 'off',
  'chat.disableAIFeatures': true,
  'security.workspace.trust.enabled': false,
  'update.mode': 'none',
};

const log = (msg) => { if (process.env.E2E_VERBOSE) process.stderr.write(`[e2e] ${msg}\n`); };

// ---------------------------------------------------------------------------------------------
// Prerequisites

/** The code-server package folder (holding out/node/entry.js), or null. CODE_SERVER_DIR wins. */
export function findCodeServer() {
  const dir = process.env.CODE_SERVER_DIR || join(ROOT, '.cache', 'code-server', CODE_SERVER_VERSION, 'package');
  return existsSync(join(dir, 'out', 'node', 'entry.js')) ? resolve(dir) : null;
}

/** A chromium binary usable headless, or null. CHROMIUM_PATH wins; never Playwright's download. */
export function findChromium() {
  const candidates = process.env.CHROMIUM_PATH ? [process.env.CHROMIUM_PATH] : ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((p) => existsSync(p)) ?? null;
}

/** Why e2e tests cannot run here ([] when they can). */
export function missingPrerequisites() {
  const missing = [];
  if (!findCodeServer()) {
    missing.push(`code-server ${CODE_SERVER_VERSION} not installed (run scripts/install-code-server.sh, or set CODE_SERVER_DIR)`);
  }
  if (!findChromium()) missing.push('chromium not found (apt-get install -y chromium, or set CHROMIUM_PATH)');
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 20) missing.push(`code-server ${CODE_SERVER_VERSION} needs Node 20, this is ${process.version}`);
  return missing;
}

// ---------------------------------------------------------------------------------------------
// Small utilities

/** Rejects with a message naming what was awaited when `promise` takes longer than `ms`. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value; throws with `what` after `ms`. */
export async function waitFor(fn, { timeout = TIMEOUTS.action, interval = 250, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let lastError;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (e) { lastError = e; }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${lastError ? `: ${lastError.message}` : ''}`);
    }
    await sleep(interval);
  }
}

function safeName(name) {
  return String(name).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 120) || 'shot';
}

function escapeRegExp(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }

function walkFiles(dir, out = []) {
  let entries;
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return out; }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walkFiles(p, out); else out.push(p);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// code-server

// Every code-server this process started and has not stopped yet, with its state folder when
// the harness made that folder (and so may delete it).
const liveServers = new Set();
let exitHookInstalled = false;

function emergencyCleanup() {
  for (const s of liveServers) {
    s.killGroup('SIGKILL');
    if (s.ownsState && !process.env.E2E_KEEP_STATE) {
      try { rmSync(s.stateDir, { recursive: true, force: true }); } catch { /* best effort */ }
    }
  }
  liveServers.clear();
}

function installExitHooks() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort for a crashed or interrupted run: 'exit' handlers must be synchronous, and a
  // signal to the process group is, so no code-server or extension host outlives us.
  process.on('exit', emergencyCleanup);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      emergencyCleanup();
      process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 })[sig]);
    });
  }
}

export class CodeServer {
  constructor({ child, exited, stateDir, ownsState, logFile, logLines, env, entry }) {
    this.child = child;
    this.env = env;                                 // its environment, for cli()
    this.entry = entry;                             // code-server's out/node/entry.js
    this.exited = exited;                           // Promise<{ code, signal }>
    this.stateDir = stateDir;
    this.ownsState = ownsState;
    this.logFile = logFile;
    this.logLines = logLines;
    this.url = null;                                // http://127.0.0.1:PORT once listening
    this.authority = null;                          // host:port, what vscode-remote:// URIs must name
  }

  get alive() { return this.child.exitCode === null && this.child.signalCode === null; }

  /**
   * Starts code-server on a free loopback port (the kernel picks it: --bind-addr 127.0.0.1:0)
   * with HOME, settings, extensions and logs under a fresh temp folder (or `stateDir`), and
   * resolves once it listens. `env` is added to its environment, which its extension hosts inherit.
   * `workspaceTrust: true` keeps VS Code's workspace trust on (the default server turns it off):
   * folders then open in Restricted Mode, untrusted, without the startup prompt.
   */
  static async start({ timeout = TIMEOUTS.serverStart, stateDir, userSettings = {}, env: extraEnv = {}, workspaceTrust = false } = {}) {
    const cs = findCodeServer();
    if (!cs) throw new Error(missingPrerequisites().join('; '));
    installExitHooks();
    const ownsState = !stateDir;
    stateDir = stateDir ? resolve(stateDir) : mkdtempSync(join(tmpdir(), 'linear-lens-e2e-'));
    for (const d of ['home', 'data/User', 'exts', 'workspaces']) mkdirSync(join(stateDir, d), { recursive: true });
    const trust = workspaceTrust
      ? { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.emptyWindow': false }
      : {};
    writeFileSync(join(stateDir, 'data', 'User', 'settings.json'),
      JSON.stringify({ ...USER_SETTINGS, ...trust, ...userSettings }, null, 2));
    const home = join(stateDir, 'home');
    // A temp folder of its own too: caches the host keeps under os.tmpdir() (the accuracy map's
    // per-direction results) must not carry over from other runs or from CLI tests.
    const tmp = join(stateDir, 'tmp');
    mkdirSync(tmp, { recursive: true });
    const env = {
      ...process.env,
      HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local', 'share'),
      XDG_CACHE_HOME: join(home, '.cache'), TMPDIR: tmp,
      ...extraEnv,
    };
    // code-server reads $PORT over --bind-addr and $PASSWORD over --auth none; a runner's
    // NODE_OPTIONS (tsx loaders, inspectors) must not reach the server or its extension hosts.
    for (const k of ['PORT', 'PASSWORD', 'HASHED_PASSWORD', 'VSCODE_PROXY_URI', 'NODE_OPTIONS']) {
      if (!(k in extraEnv)) delete env[k];
    }
    const entry = join(cs, 'out', 'node', 'entry.js');
    const args = [entry, '--config', '/dev/null', '--auth', 'none',
      '--bind-addr', '127.0.0.1:0', '--disable-telemetry', '--disable-update-check',
      ...(workspaceTrust ? [] : ['--disable-workspace-trust']), '--disable-getting-started-override', '--ignore-last-opened',
      '--user-data-dir', join(stateDir, 'data'), '--extensions-dir', join(stateDir, 'exts')];
    const logFile = join(stateDir, 'code-server.log');
    const logLines = [];
    // detached => setsid(): code-server, its extension hosts and pty host form one process group.
    const child = spawn(process.execPath, args, { cwd: stateDir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
    const server = new CodeServer({ child, exited, stateDir, ownsState, logFile, logLines, env, entry });
    liveServers.add(server);
    const listening = new Promise((resolveUrl, reject) => {
      const onData = (buf) => {
        const text = buf.toString();
        for (const line of text.split('\n')) if (line.trim()) logLines.push(line);
        if (logLines.length > 5000) logLines.splice(0, logLines.length - 5000);
        try { writeFileSync(logFile, text, { flag: 'a' }); } catch { /* state dir removed */ }
        const m = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
        if (m) resolveUrl(m[1]);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('error', reject);
      exited.then(({ code, signal }) => reject(new Error(
        `code-server exited before listening (code ${code}, signal ${signal}):\n${logLines.slice(-30).join('\n')}`)));
    });
    try {
      server.url = await withTimeout(listening, timeout, 'code-server to listen');
      server.authority = new URL(server.url).host;
      log(`code-server ${server.url} pid ${child.pid} state ${stateDir}`);
      return server;
    } catch (e) {
      await server.stop({ removeState: ownsState });
      throw e;
    }
  }

  killGroup(signal) {
    try { process.kill(-this.child.pid, signal); } catch { /* already gone */ }
  }

  /** Stops the whole process group: TERM, then KILL if it lingers. */
  async stop({ removeState = false } = {}) {
    if (this.alive) {
      this.killGroup('SIGTERM');
      const r = await Promise.race([this.exited, sleep(TIMEOUTS.stop).then(() => null)]);
      if (!r) this.killGroup('SIGKILL');
      await Promise.race([this.exited, sleep(2000)]);
    }
    // Children (extension hosts) may outlive the leader by a moment; the group is gone after KILL.
    this.killGroup('SIGKILL');
    liveServers.delete(this);
    if (removeState && this.ownsState) rmSync(this.stateDir, { recursive: true, force: true });
  }

  /**
   * Runs code-server's command line against this server's folders (e.g. --install-extension X.vsix)
   * and resolves with its output; rejects when it fails. New windows see what it changed.
   */
  async cli(args, { timeout = TIMEOUTS.action * 4 } = {}) {
    const child = spawn(process.execPath, [this.entry, '--user-data-dir', join(this.stateDir, 'data'),
      '--extensions-dir', join(this.stateDir, 'exts'), ...args], { cwd: this.stateDir, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b) => { out += b; });
    child.stderr.on('data', (b) => { out += b; });
    const done = new Promise((r) => child.once('close', (code, signal) => r({ code, signal })));
    let result;
    try {
      result = await withTimeout(done, timeout, `code-server ${args.join(' ')}`);
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    }
    if (result.code !== 0) throw new Error(`code-server ${args.join(' ')} failed (code ${result.code}, signal ${result.signal}):\n${out}`);
    return out;
  }

  /** A vscode-remote URI for a path on this (the server's) machine. */
  remoteUri(path) {
    return `vscode-remote://${this.authority}${resolve(path).split(sep).map(encodeURIComponent).join('/')}`;
  }
}

// ---------------------------------------------------------------------------------------------
// The shared session: one code-server + one chromium per process.

let session = null;   // Promise<{ server, browser }>
let trustServer = null;   // Promise<CodeServer> with workspace trust on, started on first use
const openWorkbenches = new Set();

async function startSession() {
  const missing = missingPrerequisites();
  if (missing.length) throw new Error(`e2e prerequisites missing: ${missing.join('; ')}`);
  const server = await CodeServer.start();
  try {
    const browser = await withTimeout(chromium.launch({
      executablePath: findChromium(), args: CHROMIUM_ARGS, timeout: TIMEOUTS.serverStart,
    }), TIMEOUTS.serverStart, 'chromium to start');
    return { server, browser };
  } catch (e) {
    await server.stop();
    throw e;
  }
}

/** The shared code-server and browser, started on first use. */
export async function getSession() {
  session ??= startSession();
  try {
    return await session;
  } catch (e) {
    session = null;
    throw e;
  }
}

/**
 * The session's browser with a second code-server that keeps workspace trust on (folders open
 * untrusted, in Restricted Mode), started on first use.
 */
export async function getTrustSession() {
  const { browser } = await getSession();
  trustServer ??= CodeServer.start({ workspaceTrust: true });
  try {
    return { server: await trustServer, browser };
  } catch (e) {
    trustServer = null;
    throw e;
  }
}

/** Installs a .vsix into the shared code-server (its --extensions-dir); windows opened afterwards load it. */
export async function installExtension(vsix) {
  const { server } = await getSession();
  return server.cli(['--install-extension', resolve(vsix), '--force']);
}

/** Uninstalls an extension (publisher.name) from the shared code-server. */
export async function uninstallExtension(id) {
  const { server } = await getSession();
  return server.cli(['--uninstall-extension', id]);
}

/** Closes every workbench, chromium and code-server. Safe to call twice or when nothing runs. */
export async function stopSession({ keepState = !!process.env.E2E_KEEP_STATE } = {}) {
  const s = session;
  session = null;
  const ts = trustServer;
  trustServer = null;
  for (const wb of [...openWorkbenches]) await wb.close().catch(() => {});
  if (ts) {
    const server = await ts.catch(() => null);
    if (server) {
      try {
        mkdirSync(ARTIFACTS, { recursive: true });
        writeFileSync(join(ARTIFACTS, 'code-server-trust.log'), server.logLines.join('\n') + '\n');
      } catch { /* artifacts are best effort */ }
      await server.stop({ removeState: !keepState });
    }
  }
  if (!s) return;
  let started;
  try { started = await s; } catch { return; }
  const { server, browser } = started;
  try {
    const logs = join(ARTIFACTS, 'code-server.log');
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(logs, server.logLines.join('\n') + '\n');
  } catch { /* artifacts are best effort */ }
  await withTimeout(browser.close(), TIMEOUTS.stop, 'chromium to close').catch(() => {});
  await server.stop({ removeState: !keepState });
}

/** Screenshots every open workbench (for failure reports); returns the files written. */
export async function screenshotAll(name) {
  const files = [];
  for (const wb of openWorkbenches) {
    const f = await wb.screenshot(`${name}${openWorkbenches.size > 1 ? `-${wb.id}` : ''}`).catch(() => null);
    if (f) files.push(f);
  }
  return files;
}

// ---------------------------------------------------------------------------------------------
// Workbench

let workbenchCounter = 0;
let folderCounter = 0;

function makeWorkspace(server, { folder, files = {}, settings } = {}) {
  const dir = folder ? resolve(folder) : join(server.stateDir, 'workspaces', `ws-${++folderCounter}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    const p = join(dir, name);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
  if (settings) {
    mkdirSync(join(dir, '.vscode'), { recursive: true });
    writeFileSync(join(dir, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
  }
  return dir;
}

function workbenchUrl(server, folder, payload) {
  const query = `folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return `${server.url}/?${query}`;
}

/**
 * Opens a VS Code window on a workspace folder with an extension under development.
 * options: extensionPath (default: the project root; null: none, only installed extensions, see
 * installExtension), folder (default: a fresh empty folder), files ({relative path: content}
 * written into the folder), settings (workspace settings), workspaceTrust (true: a code-server
 * with workspace trust on, so the folder opens untrusted), viewport, timeout.
 */
export async function openWorkbench(options = {}) {
  const { extensionPath = ROOT, viewport = { width: 1400, height: 900 }, timeout = TIMEOUTS.workbench } = options;
  const { server, browser } = options.workspaceTrust ? await getTrustSession() : await getSession();
  const folder = makeWorkspace(server, options);
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUTS.action);
  const wb = new Workbench({ server, context, page, folder, extensionPath });
  openWorkbenches.add(wb);
  try {
    const payload = extensionPath ? [['extensionDevelopmentPath', server.remoteUri(extensionPath)]] : [];
    await page.goto(workbenchUrl(server, folder, payload), { timeout });
    await page.locator('.monaco-workbench').waitFor({ timeout });
    // The explorer shows the folder once the remote connection and file system are up.
    await page.locator('.explorer-folders-view, .part.sidebar').first().waitFor({ timeout });
    return wb;
  } catch (e) {
    await wb.screenshot('open-workbench-failed').catch(() => {});
    await wb.close();
    throw e;
  }
}

/** openWorkbench + fn(wb) + close, also on failure (with a screenshot named after `name`). */
export async function withWorkbench(options, fn) {
  const wb = await openWorkbench(options);
  try {
    return await fn(wb);
  } catch (e) {
    await wb.screenshot(`${options.name ?? 'with-workbench'}-failure`).catch(() => {});
    throw e;
  } finally {
    await wb.close();
  }
}

export class Workbench {
  constructor({ server, context, page, folder, extensionPath }) {
    this.id = ++workbenchCounter;
    this.server = server;
    this.context = context;
    this.page = page;
    this.folder = folder;
    this.extensionPath = extensionPath;
    this.openedAt = Date.now();
    this.closed = false;
    this.consoleLines = [];                         // the workbench's console, for failure reports
    page.on('console', (m) => {
      this.consoleLines.push(`${m.type()}: ${m.text()}`);
      if (this.consoleLines.length > 2000) this.consoleLines.shift();
    });
  }

  /** Runs a command by its palette title, e.g. "Linear Lens: Show Compute Host Info". */
  async runCommand(title, { timeout = TIMEOUTS.action } = {}) {
    const { page } = this;
    const deadline = Date.now() + timeout;
    const exact = new RegExp(`^\\s*${escapeRegExp(title)}\\s*$`);
    const input = page.locator('.quick-input-widget input');
    // Commands contributed by an extension only appear once the extension host has registered
    // them, so an empty list early on is retried rather than fatal.
    for (let attempt = 1; ; attempt++) {
      await this.dismissQuickInput();
      await this.openCommandPalette();
      // A webview that finishes loading can take focus and close the palette between opening it
      // and typing: a failed fill is one more attempt, not a 30 s wait on a hidden input.
      const typed = await input.fill(`>${title}`, { timeout: 2000 }).then(() => true, () => false);
      if (!typed) {
        if (Date.now() >= deadline) throw new Error(`could not type "${title}" into the command palette within ${timeout} ms`);
        continue;
      }
      const row = page.locator('.quick-input-list .monaco-list-row')
        .filter({ has: page.locator('.label-name', { hasText: exact }) }).first();
      const left = deadline - Date.now();
      try {
        // Short first waits: a palette opened too early never lists late commands, reopening does.
        await row.waitFor({ timeout: Math.max(500, Math.min(left, 1000 * attempt)) });
        await row.click();
        await input.waitFor({ state: 'hidden', timeout: Math.max(1000, left) }).catch(() => {});
        return;
      } catch (e) {
        if (Date.now() >= deadline) {
          await this.dismissQuickInput();
          throw new Error(`command "${title}" not found in the command palette after ${timeout} ms (${attempt} tries)`);
        }
      }
    }
  }

  async openCommandPalette() {
    const { page } = this;
    const input = page.locator('.quick-input-widget input');
    for (const key of ['F1', 'Control+Shift+P']) {
      await this.focusWorkbench();
      await page.keyboard.press(key);
      if (await input.waitFor({ state: 'visible', timeout: 3000 }).then(() => true, () => false)) return;
    }
    throw new Error('could not open the command palette (F1 and Ctrl+Shift+P did nothing)');
  }

  /**
   * Moves keyboard focus out of a webview: keys pressed while its iframe has focus go to the
   * extension's page, not to VS Code's keybindings. Blurring clicks nothing, so it triggers nothing.
   */
  async focusWorkbench() {
    await this.page.evaluate(() => {
      const el = document.activeElement;
      if (el && el.tagName === 'IFRAME') el.blur();
    }).catch(() => {});
  }

  async dismissQuickInput() {
    const input = this.page.locator('.quick-input-widget input');
    if (await input.isVisible().catch(() => false)) {
      await this.page.keyboard.press('Escape');
      await input.waitFor({ state: 'hidden', timeout: 2000 }).catch(() => {});
    }
  }

  /** Opens a workspace file in an editor through Quick Open. */
  async openFile(relPath, { timeout = TIMEOUTS.action } = {}) {
    const { page } = this;
    const name = relPath.split('/').pop();
    await this.dismissQuickInput();
    await this.focusWorkbench();
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout });
    await input.fill(relPath);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
    await row.waitFor({ timeout });
    await row.click();
    await page.locator('.tab', { hasText: name }).first().waitFor({ timeout });
  }

  /**
   * The document of a webview (panel or view): outer iframe.webview (VS Code's host page) ->
   * inner #active-frame (the extension's HTML). Only visible webviews count (those of background
   * tabs stay in the DOM); of those the last, or the `nth`.
   */
  webviewFrame({ nth } = {}) {
    const frames = this.page.locator('iframe.webview.ready').filter({ visible: true });
    const outer = nth === undefined ? frames.last() : frames.nth(nth);
    return outer.contentFrame().locator('#active-frame').contentFrame();
  }

  /** Code lens links whose text contains `text` (string or RegExp). */
  codeLens(text) {
    return this.page.locator('.codelens-decoration a', text === undefined ? {} : { hasText: text });
  }

  /** Notification toasts (and the notification centre's rows) containing `text`. */
  notification(text) {
    return this.page.locator('.notifications-toasts .notification-list-item, .notifications-center .notification-list-item',
      text === undefined ? {} : { hasText: text });
  }

  /** Saves a full-window PNG under .test-artifacts/e2e/ and returns its path. */
  async screenshot(name) {
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, `${safeName(name)}.png`);
    // Finished animations: a toast caught sliding in is half off the picture.
    await this.page.screenshot({ path: file, timeout: 15_000, animations: 'disabled' });
    return file;
  }

  /**
   * Text of the output channels written in this window whose name matches `filter` (RegExp or
   * exact name), as { name: text }. Read from the files the (remote) extension host keeps for each
   * channel (N-Name.log in an output_logging_ folder; publisher.ext/Name.log for log channels), which
   * needs no clicking through the Output view and sees lines scrolled out of sight.
   */
  readOutputChannels(filter = /.*/) {
    const accept = typeof filter === 'string' ? (n) => n === filter : (n) => filter.test(n);
    const found = {};
    const files = walkFiles(join(this.server.stateDir, 'data', 'logs'))
      .map((f) => ({ f, t: statSync(f).mtimeMs }))
      .filter(({ t }) => t >= this.openedAt - 1000)
      .sort((a, b) => a.t - b.t);                   // newest last, so it wins a name clash
    for (const { f } of files) {
      const parts = f.split(sep);
      const base = parts.at(-1), parent = parts.at(-2) ?? '';
      let name = null;
      if (/^output_logging_/.test(parent)) name = base.replace(/^\d+-/, '').replace(/\.log$/, '');
      else if (parts.some((p) => /^exthost\d+$/.test(p)) && /\./.test(parent) && !/^exthost\d+$/.test(parent)) name = base.replace(/\.log$/, '');
      if (name !== null && accept(name)) found[name] = readFileSync(f, 'utf8');
    }
    return found;
  }

  /** The text of output channel `name` in this window, or null when it has none (yet). */
  readOutputChannel(name) {
    return this.readOutputChannels(name)[name] ?? null;
  }

  /** Waits until output channel `name` contains `pattern` (string or RegExp); returns its text. */
  async waitForOutput(name, pattern, { timeout = TIMEOUTS.action } = {}) {
    const test = typeof pattern === 'string' ? (t) => t.includes(pattern) : (t) => pattern.test(t);
    return waitFor(() => { const t = this.readOutputChannel(name); return t !== null && test(t) ? t : null; },
      { timeout, what: `output channel "${name}" to contain ${pattern}` });
  }

  /** All text a user could see: the workbench plus every visible webview document. */
  async visibleText() {
    const parts = [];
    const main = this.page.mainFrame();
    for (const frame of this.page.frames()) {
      // Hidden frames (the web worker extension host, webviews of background tabs) hold text
      // no user sees, script source included.
      if (frame !== main) {
        const el = await frame.frameElement().catch(() => null);
        if (!el || !(await el.isVisible().catch(() => false))) continue;
      }
      parts.push(await frame.locator('body').innerText({ timeout: 2000 }).catch(() => ''));
    }
    return parts.join('\n');
  }

  /** Navigates away first: that is a graceful disconnect, so the server disposes the extension host. */
  async close() {
    if (this.closed) return;
    this.closed = true;
    openWorkbenches.delete(this);
    await this.page.goto('about:blank', { timeout: 10_000 }).catch(() => {});
    await withTimeout(this.context.close(), TIMEOUTS.stop, 'browser context to close').catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// Mocha suites inside the extension host

export const RESULT_PREFIX = '##linear-lens-e2e ';

/**
 * Runs mocha test files inside the extension host of a fresh window, exactly as
 * @vscode/test-electron would (extensionDevelopmentPath + extensionTestsPath), and returns
 * { code, results: [{ state: 'passed'|'failed'|'pending', title, file, error }], log }.
 * The runner (test/e2e/exthost/index.js) prints one RESULT_PREFIX line per test through the
 * extension host's console, which the workbench hands to window.codeAutomationLog.
 */
export async function runExtensionTests({ extensionPath = ROOT, files, folder, workspaceFiles, settings,
  timeout = TIMEOUTS.extensionTests, onLog } = {}) {
  if (!files?.length) throw new Error('runExtensionTests: no test files');
  const { server, browser } = await getSession();
  const ws = makeWorkspace(server, { folder, files: workspaceFiles, settings });
  // extensionTestsPath names one module; a generated shim hands it the file list.
  const shim = join(server.stateDir, `exthost-run-${++folderCounter}.js`);
  writeFileSync(shim, `// generated by test/e2e/harness.mjs
module.exports.run = () => require(${JSON.stringify(EXTHOST_RUNNER)}).runFiles(${JSON.stringify(files.map((f) => resolve(f)))});
`);
  const context = await browser.newContext();
  const page = await context.newPage();
  const logLines = [];
  const results = [];
  let finish;
  const exited = new Promise((r) => { finish = r; });
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const text = (Array.isArray(args) ? args : [args]).map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
    for (const line of text.split('\n')) {
      const i = line.indexOf(RESULT_PREFIX);
      if (i >= 0) {
        try { results.push(JSON.parse(line.slice(i + RESULT_PREFIX.length))); } catch { /* partial line */ }
      } else {
        logLines.push(line);
        onLog?.(line);
      }
    }
  });
  await page.exposeFunction('codeAutomationExit', (code) => finish(code));
  const timer = setTimeout(() => finish(124), timeout);
  try {
    const payload = [['extensionDevelopmentPath', server.remoteUri(extensionPath)],
      ['extensionTestsPath', server.remoteUri(shim)]];
    await page.goto(workbenchUrl(server, ws, payload), { timeout });
    const code = await exited;
    if (code === 124) {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, `exthost-timeout-${safeName(relative(ROOT, files[0]))}.png`) }).catch(() => {});
    }
    return { code, results, log: logLines };
  } finally {
    clearTimeout(timer);
    await page.goto('about:blank', { timeout: 10_000 }).catch(() => {});
    await withTimeout(context.close(), TIMEOUTS.stop, 'browser context to close').catch(() => {});
  }
}
