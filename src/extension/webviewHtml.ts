/**
 * The HTML of every Linear Lens webview (analysis panels, the model overview, the side view): one
 * strict Content Security Policy with a fresh nonce, scripts and styles from the extension's
 * dist/webview and media folders only, nothing remote, no eval.
 *
 * VS Code injects its default styles and the acquireVsCodeApi script at the top of <head>, before
 * the CSP <meta>; a meta policy governs only what is parsed after it, so those keep working under
 * the strict policy (the e2e tests check both).
 *
 * Uses `vscode` for types only, so the unit tests load it in plain node.
 */
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type * as vscode from 'vscode';
import type { JsonValue } from '../protocol/webview';
import { PAGE_DATA_ELEMENT_ID } from '../protocol/webview';

/** The folders a webview may load from, relative to the extension root. */
export const WEBVIEW_RESOURCE_FOLDERS = ['dist/webview', 'media'] as const;

/** A fresh nonce: 128 random bits, base64 (the CSP nonce grammar). */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * The policy every page gets. Styles from the extension by URL or by nonce (the components'
 * constructed stylesheets are not governed by style-src); fonts for the codicons; images from
 * data: and blob: for figure exports and thumbnails.
 */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data: blob:`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource} data:`,
  ].join('; ');
}

/** What the HTML needs from a webview: its CSP source and URLs for extension files. */
export interface WebviewResources {
  readonly cspSource: string;
  /** The webview URL of a file given relative to the extension root. */
  url(relativePath: string): string;
}

export interface PageSpec {
  /**
   * The bundle under dist/webview: `<page>.js`, and `<page>.css` (every page imports a stylesheet,
   * so esbuild always writes one).
   */
  readonly page: string;
  readonly title: string;
  /** Start-up data for the page, read from a JSON <script> (no message round trip needed). */
  readonly data?: JsonValue;
  /** Links the codicon font, which `<vscode-icon>` finds by the id `vscode-codicon-stylesheet`. */
  readonly codicons?: boolean;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * JSON that is safe inside a <script> element: no "</script>" or "<!--" can end or change it,
 * and the line separators JavaScript once rejected are escaped too.
 */
export function jsonForScript(value: JsonValue): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The page: CSP first in <head>, every <link> and <script> with the nonce. */
export function pageHtml(res: WebviewResources, spec: PageSpec, nonce: string = makeNonce()): string {
  const n = escapeHtml(nonce);
  const href = (p: string): string => escapeHtml(res.url(p));
  const links = [
    `<link rel="stylesheet" nonce="${n}" href="${href('media/webview.css')}">`,
    `<link rel="stylesheet" nonce="${n}" href="${href(`dist/webview/${spec.page}.css`)}">`,
    ...(spec.codicons ? [`<link rel="stylesheet" nonce="${n}" id="vscode-codicon-stylesheet" href="${href('dist/webview/codicons.css')}">`] : []),
  ];
  const data = spec.data === undefined ? '' : `<script type="application/json" id="${PAGE_DATA_ELEMENT_ID}" nonce="${n}">${jsonForScript(spec.data)}</script>\n`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(res.cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(spec.title)}</title>
${links.join('\n')}
${data}</head>
<body data-page="${escapeHtml(spec.page)}">
<main id="app" aria-busy="true"></main>
<script nonce="${n}" src="${href(`dist/webview/${spec.page}.js`)}"></script>
</body>
</html>
`;
}

/** A file of the extension as a Uri (Uri.joinPath without importing vscode at run time). */
export function extensionFile(extensionUri: vscode.Uri, relativePath: string): vscode.Uri {
  return extensionUri.with({ path: posix.join(extensionUri.path, relativePath) });
}

export function webviewResources(webview: vscode.Webview, extensionUri: vscode.Uri): WebviewResources {
  return {
    cspSource: webview.cspSource,
    url: (p) => webview.asWebviewUri(extensionFile(extensionUri, p)).toString(),
  };
}

/** Scripts on, and files from dist/webview and media only. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: WEBVIEW_RESOURCE_FOLDERS.map((f) => extensionFile(extensionUri, f)),
  };
}
