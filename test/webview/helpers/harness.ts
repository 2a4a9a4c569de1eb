/**
 * Webview test harness: bundles the gallery with esbuild into a temp dir, serves it from a loopback
 * HTTP server under the panel's strict CSP, and drives Debian's chromium through playwright-core.
 * Nothing may hang: every wait has a timeout, and chromium is killed on close and on process exit.
 */
import * as esbuild from 'esbuild';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WebviewToExtensionMessage } from '../../../src/protocol/webview';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const ARTIFACTS = join(ROOT, '.test-artifacts', 'webview');
export const NONCE = 'XYZ';
/** The CSP of a Linear Lens panel (with the nonce fixed so the page can be static). */
export const CSP = `default-src 'none'; img-src data: blob:; style-src 'nonce-${NONCE}'; script-src 'nonce-${NONCE}'; font-src data:`;
export const TIMEOUT = 15_000;

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

export function findChromium(): string | null {
  return [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']
    .find((p): p is string => Boolean(p) && existsSync(p!)) ?? null;
}

/**
 * Why the browser tests cannot run here, or null when they can. On CI a missing browser is a
 * failure, not a skip: it throws.
 */
export function browserSkipReason(): string | null {
  if (findChromium()) return null;
  const why = 'chromium not found (apt-get install -y chromium, or set CHROMIUM_PATH)';
  if (process.env.CI === 'true') throw new Error(`Webview tests need a browser on CI: ${why}`);
  return why;
}

/** The page a panel would get, with every style and script allowed by nonce only. */
export function galleryHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Linear Lens gallery</title>
<link rel="stylesheet" nonce="${NONCE}" href="webview.css">
<link rel="stylesheet" nonce="${NONCE}" href="gallery.css">
</head>
<body>
<main id="app"></main>
<script nonce="${NONCE}" src="gallery.js"></script>
</body>
</html>
`;
}

/** A page that breaks the CSP on purpose: proves that violations are seen at all. */
const PROBE_HTML = `<!doctype html><html><head><meta charset="utf-8"></head><body>
<div style="color: red">inline style attribute</div>
<script>window.inlineRan = true;</script>
</body></html>`;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

export interface Served {
  readonly url: string;
  readonly dir: string;
  close(): Promise<void>;
}

/** Bundles the gallery as the extension build does (IIFE, ES2022, CSS beside the script). */
export async function buildGallery(dir: string): Promise<void> {
  await esbuild.build({
    entryPoints: [join(ROOT, 'webview', 'gallery.ts')],
    outdir: dir,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    sourcemap: true,
    logLevel: 'silent',
    loader: { '.css': 'css' },
  });
  copyFileSync(join(ROOT, 'media', 'webview.css'), join(dir, 'webview.css'));
  writeFileSync(join(dir, 'index.html'), galleryHtml());
  writeFileSync(join(dir, 'csp-probe.html'), PROBE_HTML);
}

/** Serves `dir` on 127.0.0.1 (random port) with the panel CSP on every response. */
export async function serve(dir: string): Promise<Served> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = join(dir, path === '/' ? 'index.html' : path);
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404, { 'content-security-policy': CSP }).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': CSP,
      'cache-control': 'no-store',
    });
    res.end(readFileSync(file));
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('no server address');
  return {
    url: `http://127.0.0.1:${addr.port}/`,
    dir,
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}

export interface Harness {
  readonly browser: Browser;
  readonly served: Served;
  /** A fresh context and page on the gallery; `vscode` installs a fake acquireVsCodeApi. */
  open(opts?: OpenOptions): Promise<GalleryPage>;
  close(): Promise<void>;
}

export interface OpenOptions {
  theme?: 'dark' | 'light';
  vscode?: boolean;
  deviceScaleFactor?: number;
  path?: string;
  width?: number;
}

export interface GalleryPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Console errors and uncaught exceptions of the page. */
  readonly errors: string[];
  /** Messages the page sent to the (fake) extension. */
  sent(): Promise<WebviewToExtensionMessage[]>;
  /** securitypolicyviolation events seen by the page. */
  violations(): Promise<string[]>;
}

// Runs in the page before its scripts: records CSP violations and outgoing messages.
function initScript(vscode: boolean): string {
  return `(() => {
  window.__violations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__violations.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || '') + ':' + e.lineNumber);
  });
  window.__sent = [];
  window.__state = undefined;
  if (${vscode}) {
    let acquired = false;
    window.acquireVsCodeApi = () => {
      if (acquired) throw new Error('acquireVsCodeApi called twice');
      acquired = true;
      return {
        postMessage: (m) => window.__sent.push(m),
        getState: () => window.__state,
        setState: (s) => (window.__state = s),
      };
    };
  } else {
    window.__linearLensHost = { postMessage: (m) => window.__sent.push(m) };
  }
})();`;
}

export async function startHarness(): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'll-webview-'));
  await buildGallery(dir);
  const served = await serve(dir);
  // A browser server, not launch(): it exposes the chromium process, which close() can kill
  // outright if a graceful close hangs.
  const server = await chromium.launchServer({ executablePath: findChromium()!, args: CHROMIUM_ARGS, timeout: 30_000 });
  const kill = (): void => { try { server.process().kill('SIGKILL'); } catch { /* already gone */ } };
  let browser: Browser;
  try {
    browser = await chromium.connect(server.wsEndpoint(), { timeout: 30_000 });
  } catch (err) {
    kill();
    throw err;
  }
  process.once('exit', kill);
  const contexts: BrowserContext[] = [];

  return {
    browser,
    served,
    async open(opts = {}) {
      const context = await browser.newContext({
        viewport: { width: opts.width ?? 900, height: 900 },
        deviceScaleFactor: opts.deviceScaleFactor ?? 1,
        acceptDownloads: true,
      });
      contexts.push(context);
      context.setDefaultTimeout(TIMEOUT);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.addInitScript(initScript(opts.vscode === true));
      const query = opts.theme === 'light' ? '?theme=light' : '';
      await page.goto(served.url + (opts.path ?? 'index.html') + query, { timeout: TIMEOUT });
      if (!opts.path) await page.waitForSelector('body[data-ready="true"]', { timeout: TIMEOUT });
      return {
        page,
        context,
        errors,
        sent: () => page.evaluate(() => (window as unknown as { __sent: WebviewToExtensionMessage[] }).__sent),
        violations: () => page.evaluate(() => (window as unknown as { __violations: string[] }).__violations),
      };
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await Promise.race([browser.close().then(() => server.close()), new Promise((r) => setTimeout(r, 5000))]).catch(() => undefined);
      kill();
      process.removeListener('exit', kill);
      await served.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function artifactsDir(): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return ARTIFACTS;
}

/** Width and height from a PNG's IHDR, after checking its signature. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 24 || sig.some((b, i) => bytes[i] !== b)) throw new Error('not a PNG');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: dv.getUint32(16), height: dv.getUint32(20) };
}
