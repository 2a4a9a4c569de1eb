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
