// The HTML every Linear Lens webview gets (src/extension/webviewHtml.ts): the strict CSP with a
// fresh nonce, every script and stylesheet from the extension and carrying the nonce, start-up
// data that cannot break out of its <script>, and local resources limited to dist/webview and media.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as vscode from 'vscode';
import {
  contentSecurityPolicy, escapeHtml, jsonForScript, makeNonce, pageHtml, webviewOptions, WEBVIEW_RESOURCE_FOLDERS,
  type WebviewResources,
} from '../../src/extension/webviewHtml';
import { PAGE_DATA_ELEMENT_ID, type JsonValue } from '../../src/protocol/webview';
import type { PanelState, Services } from '../../src/extension/services';

const CSP_SOURCE = 'https://file+.vscode-resource.vscode-cdn.net';
const res: WebviewResources = { cspSource: CSP_SOURCE, url: (p) => `${CSP_SOURCE}/ext/${p}` };

test('the policy: nothing by default, nonce scripts, nonce or extension styles, no eval, nothing remote', () => {
  assert.equal(contentSecurityPolicy(CSP_SOURCE, 'N0nce'),
    `default-src 'none'; img-src ${CSP_SOURCE} data: blob:; style-src ${CSP_SOURCE} 'nonce-N0nce'; script-src 'nonce-N0nce'; font-src ${CSP_SOURCE} data:`);
  const csp = contentSecurityPolicy(CSP_SOURCE, 'x');
  for (const banned of ['unsafe-eval', 'unsafe-inline', 'http:', 'https://*', '*;']) assert.ok(!csp.includes(banned), banned);
});

test('nonces are fresh, 128 bits, and of the CSP nonce alphabet', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const n = makeNonce();
    assert.match(n, /^[A-Za-z0-9+/]{22}==$/);
    seen.add(n);
  }
  assert.equal(seen.size, 200);
});

test('the page: CSP first in <head>, every <script> and <link> has the nonce and comes from the extension', () => {
  const html = pageHtml(res, { page: 'panel', title: 'Linear interpreter: <model.onnx>', data: { a: 1 }, codicons: true }, 'NONCE123');
  const head = html.slice(html.indexOf('<head>'), html.indexOf('</head>'));
  const firstTag = /<(meta|link|script|style|title)[^>]*>/g;
  const tags = [...head.matchAll(firstTag)].map((m) => m[0]);
  assert.match(tags[0]!, /charset/);
  assert.match(tags[1]!, /http-equiv="Content-Security-Policy"/, 'the CSP comes before any style or script');
  assert.ok(html.includes(`content="default-src &#39;none&#39;; img-src ${CSP_SOURCE} data: blob:; style-src ${CSP_SOURCE} &#39;nonce-NONCE123&#39;`));

  const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
  assert.equal(scripts.length, 2, 'the data block and the page bundle');
  for (const s of scripts) assert.match(s, /nonce="NONCE123"/);
  assert.ok(scripts[1]!.includes(`src="${CSP_SOURCE}/ext/dist/webview/panel.js"`));
  const links = [...html.matchAll(/<link\b[^>]*>/g)].map((m) => m[0]);
  assert.deepEqual(links.map((l) => /href="([^"]*)"/.exec(l)![1]), [
    `${CSP_SOURCE}/ext/media/webview.css`, `${CSP_SOURCE}/ext/dist/webview/panel.css`, `${CSP_SOURCE}/ext/dist/webview/codicons.css`,
  ]);
  for (const l of links) assert.match(l, /nonce="NONCE123"/);
  assert.match(links[2]!, /id="vscode-codicon-stylesheet"/, '<vscode-icon> finds the font stylesheet by this id');
  assert.ok(!/\sstyle=/.test(html), 'no inline style attributes');
  assert.ok(!/\son[a-z]+=/.test(html), 'no inline event handlers');
  assert.ok(html.includes('<title>Linear interpreter: &lt;model.onnx&gt;</title>'));
  assert.ok(!pageHtml(res, { page: 'x', title: 't' }, 'n').includes('codicons'), 'codicons only when asked');
});

test('start-up data cannot end its <script> element, and parses back to the same value', () => {
  const nasty: JsonValue = { title: '</script><script>alert(1)</script>', c: '<!-- -->', amp: 'a&b', ls: '\u2028\u2029', q: "'\"" };
  const text = jsonForScript(nasty);
  assert.ok(!/[<>&\u2028\u2029]/.test(text));
  assert.deepEqual(JSON.parse(text), nasty);
  const html = pageHtml(res, { page: 'panel', title: 't', data: nasty }, 'n');
  const m = new RegExp(`<script type="application/json" id="${PAGE_DATA_ELEMENT_ID}" nonce="n">(.*?)</script>`).exec(html);
  assert.ok(m);
  assert.deepEqual(JSON.parse(m[1]!), nasty);
  assert.equal(html.match(/<\/script>/g)!.length, 2, 'exactly the two scripts end');
});

test('escapeHtml escapes the five characters that matter in text and attributes', () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
});

test('webviews may load from dist/webview and media only, and run scripts', () => {
  // A stand-in for vscode.Uri: webviewHtml.ts only calls `with` on it.
  class FakeUri {
    constructor(readonly scheme: string, readonly path: string) {}
    with(change: { path?: string }): FakeUri {
      return new FakeUri(this.scheme, change.path ?? this.path);
    }
  }
  const ext = new FakeUri('file', '/home/u/.vscode/extensions/linear-lens') as unknown as vscode.Uri;
  const opts = webviewOptions(ext);
  assert.equal(opts.enableScripts, true);
  assert.equal(opts.enableCommandUris, undefined, 'no command links');
  assert.deepEqual(opts.localResourceRoots?.map((u) => `${u.scheme}:${u.path}`), [
    'file:/home/u/.vscode/extensions/linear-lens/dist/webview', 'file:/home/u/.vscode/extensions/linear-lens/media',
  ]);
  assert.deepEqual([...WEBVIEW_RESOURCE_FOLDERS], ['dist/webview', 'media']);
});

// ---------------------------------------------------------------------------------------------
// Every webview Linear Lens opens, as its own code builds it: the six analysis panels (through
// AnalysisPanel, with each shipped provider's kind), the model overview (OverviewSession) and the
// side view (SideViewProvider). They run against a small stand-in for the `vscode` module that
// records the HTML each one gives its webview.

const REMOTE_CSP_SOURCE = 'https://file+.vscode-resource.vscode-cdn.net';

/** The parts of the `vscode` module these constructors touch, and no more. */
function fakeVscode(): Record<string, unknown> {
  class Uri {
    constructor(readonly scheme: string, readonly path: string) {}
    get fsPath(): string {
      return this.path;
    }
    with(change: { scheme?: string; path?: string }): Uri {
      return new Uri(change.scheme ?? this.scheme, change.path ?? this.path);
    }
    toString(): string {
      return `${this.scheme}://${this.path}`;
    }
    static file(p: string): Uri {
      return new Uri('file', p);
    }
    static joinPath(u: Uri, ...parts: string[]): Uri {
      return new Uri(u.scheme, [u.path, ...parts].join('/'));
    }
  }
  class Disposable {
    constructor(private readonly fn: () => void = () => undefined) {}
    dispose(): void {
      this.fn();
    }
  }
  class EventEmitter<T> {
    private listeners: ((e: T) => void)[] = [];
    readonly event = (l: (e: T) => void): Disposable => {
      this.listeners.push(l);
      return new Disposable(() => (this.listeners = this.listeners.filter((x) => x !== l)));
    };
    fire(e: T): void {
      for (const l of this.listeners) l(e);
    }
    dispose(): void {
      this.listeners = [];
    }
  }
  class CancellationTokenSource {
    readonly token = { isCancellationRequested: false, onCancellationRequested: () => new Disposable() };
    cancel(): void {
      this.token.isCancellationRequested = true;
    }
    dispose(): void {}
  }
  const noEvent = (): Disposable => new Disposable();
  return {
    Uri, Disposable, EventEmitter, CancellationTokenSource,
    RelativePattern: class { constructor(readonly base: unknown, readonly pattern: string) {} },
    workspace: {
      createFileSystemWatcher: () => ({ onDidChange: noEvent, onDidCreate: noEvent, onDidDelete: noEvent, dispose: () => undefined }),
      asRelativePath: (u: Uri) => u.path.split('/').slice(-2).join('/'),
      getConfiguration: () => ({ get: (_k: string, d?: unknown) => d, inspect: () => undefined }),
      workspaceFolders: undefined,
      isTrusted: true,
    },
    window: {},
    commands: {},
  };
}

/** A webview that keeps its HTML; resources resolve under the real webview's https origin. */
function recordingWebview(): { html: string; options: unknown; cspSource: string; asWebviewUri(u: { path: string }): { toString(): string }; onDidReceiveMessage(): { dispose(): void }; postMessage(): Promise<boolean> } {
  return {
    html: '',
    options: undefined,
    cspSource: REMOTE_CSP_SOURCE,
    asWebviewUri: (u) => ({ toString: () => `${REMOTE_CSP_SOURCE}${u.path}` }),
    onDidReceiveMessage: () => ({ dispose: () => undefined }),
    postMessage: async () => true,
  };
}

/** The checks every Linear Lens page must pass. */
function assertStrictPage(html: string, what: string): void {
  const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  assert.ok(meta, `${what}: a CSP meta element`);
  const csp = meta[1]!.replace(/&#39;/g, "'");
  const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k!, v]));
  assert.deepEqual(directives.get('default-src'), ["'none'"], `${what}: default-src 'none'`);
  const scriptSrc = directives.get('script-src') ?? [];
  assert.equal(scriptSrc.length, 1, `${what}: one script source`);
  const nonce = /^'nonce-([A-Za-z0-9+/=]{16,})'$/.exec(scriptSrc[0]!)?.[1];
  assert.ok(nonce, `${what}: script-src is a nonce only, got ${scriptSrc.join(' ')}`);
  for (const banned of ["'unsafe-inline'", "'unsafe-eval'", '*', 'http:', 'https:']) {
    for (const [k, v] of directives) assert.ok(!v.includes(banned), `${what}: ${k} allows ${banned}`);
  }
  // Nothing remote: every URL in the page or its policy is the webview's own resource origin.
  for (const url of html.match(/https?:\/\/[^\s"'<>;]+/g) ?? []) assert.ok(url.startsWith(REMOTE_CSP_SOURCE), `${what}: remote URL ${url}`);
  const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
  assert.ok(scripts.length >= 1, `${what}: its page script`);
  for (const s of scripts) assert.ok(s.includes(`nonce="${nonce}"`), `${what}: <script> without the nonce: ${s}`);
  for (const s of scripts) {
    const src = /src="([^"]*)"/.exec(s)?.[1];
    if (src) assert.match(src, /\/dist\/webview\/[A-Za-z]+\.js$/, `${what}: scripts come from the extension's dist/webview`);
  }
  assert.ok(!/\son[a-z]+=/i.test(html), `${what}: no inline event handlers`);
  assert.ok(!/javascript:/i.test(html), `${what}: no javascript: URLs`);
}

test('the CSP of every webview: each analysis panel, the model overview and the side view', async () => {
  const Module = require('node:module') as { _load: (request: string, ...rest: unknown[]) => unknown };
  const load = Module._load;
  const vscodeFake = fakeVscode();
  Module._load = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? vscodeFake : load.call(this, request, ...rest);
  };
  try {
    const { AnalysisPanel } = await import('../../src/extension/panels/analysisPanel');
    const { OverviewSession } = await import('../../src/extension/overview/overviewSession');
    const { SideViewProvider } = await import('../../src/extension/sideView/sideViewProvider');
    const { interpreterProvider } = await import('../../src/extension/analyses/interpreter');
    const { lmcProvider, llfcProvider } = await import('../../src/extension/analyses/connectivity');
    const { nadProvider, nadMapProvider } = await import('../../src/extension/analyses/nad');
    const { efcnProvider } = await import('../../src/extension/analyses/efcn');
    const Uri = vscodeFake.Uri as { file(p: string): vscode.Uri };
    const extensionUri = Uri.file('/ext/linear-lens');
    const noEvent = () => ({ dispose: () => undefined });
    const pending = () => new Promise<never>(() => undefined);
    const services = {
      context: { extensionUri, subscriptions: [] },
      host: { onDidChangeState: noEvent, onDidChangeJobs: noEvent, state: () => ({ status: 'running', recentCrashes: 0 }), jobs: () => [], log: () => undefined, run: pending, info: pending },
      picks: { onDidChangeModelFiles: noEvent, dataset: pending, modelFiles: pending },
      panels: { onDidChangeRecent: noEvent, recent: () => [] },
    } as unknown as Services;
    const webviewPanel = () => {
      const webview = recordingWebview();
      return { webview, title: '', iconPath: undefined, onDidChangeViewState: noEvent, onDidDispose: noEvent, reveal: () => undefined, dispose: () => undefined, visible: true };
    };

    const pages: [string, string][] = [];
    const providers = [interpreterProvider, lmcProvider, llfcProvider, nadProvider, nadMapProvider, efcnProvider];
    assert.deepEqual(providers.map((p) => p.kind), ['interpreter', 'lmc', 'llfc', 'nad', 'nadMap', 'efcn']);
    for (const p of providers) {
      const wp = webviewPanel();
      const state: PanelState = { kind: p.kind, title: `${p.title}: model.json`, models: ['models/cnn/model.json'], key: 'e'.repeat(64), params: { n: 1 } };
      new AnalysisPanel(wp as unknown as vscode.WebviewPanel, state, extensionUri, { retry() {}, select() {}, export() {}, thumbnail() {}, disposed() {} }, () => undefined);
      pages.push([`${p.kind} panel`, wp.webview.html]);
    }
    const ov = webviewPanel();
    const session = new OverviewSession(Uri.file('/w/models/cnn/model.json'), ov as unknown as vscode.WebviewPanel, services);
    pages.push(['model overview', ov.webview.html]);
    const side = { webview: recordingWebview(), visible: true, onDidChangeVisibility: noEvent, onDidDispose: noEvent };
    const sideView = new SideViewProvider(services);
    sideView.resolveWebviewView(side as unknown as vscode.WebviewView);
    pages.push(['side view', side.webview.html]);

    for (const [what, html] of pages) {
      assert.ok(html.length > 0, `${what}: has HTML`);
      assertStrictPage(html, what);
    }
    assert.deepEqual(pages.map(([, h]) => /data-page="([^"]+)"/.exec(h)?.[1]), [...providers.map(() => 'panel'), 'overview', 'sideView']);
    // A fresh nonce per page: one leaked nonce must not unlock another page.
    const nonces = pages.map(([, h]) => /'nonce-([^']+)'/.exec(h.replace(/&#39;/g, "'"))?.[1]);
    assert.equal(new Set(nonces).size, pages.length);
    session.dispose();
    sideView.dispose();
  } finally {
    Module._load = load;
  }
});

test('the page checks catch what they look for', () => {
  const good = pageHtml(res, { page: 'panel', title: 't', data: { a: 1 } }, 'NONCE1234567890ABCDEF==');
  assertStrictPage(good.replace(/https:\/\/file\+\.vscode-resource\.vscode-cdn\.net/g, REMOTE_CSP_SOURCE), 'good');
  const bad: [string, string][] = [
    ['a script without the nonce', good.replace('</body>', '<script src="https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/x.js"></script></body>')],
    ['a remote script', good.replace('</body>', '<script nonce="NONCE1234567890ABCDEF==" src="https://cdn.example.com/x.js"></script></body>')],
    ['unsafe-inline', good.replace("script-src &#39;nonce", "script-src &#39;unsafe-inline&#39; &#39;nonce")],
    ['no default-src none', good.replace("default-src &#39;none&#39;; ", '')],
  ];
  for (const [what, html] of bad) assert.throws(() => assertStrictPage(html, what), assert.AssertionError, what);
});
