// Builds every bundle: dist/extension.js, dist/host.js, dist/cli.js, dist/worker.js, dist/h5-worker.js, dist/webview/*.js, and copies
// the tfjs-backend-wasm binaries beside them (core/tf/backend.ts looks for them next to the bundle).
// Usage: node esbuild.mjs [--watch] [--production]
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(root, 'dist');
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

// ESM-only dependencies (h5wasm's node build) read import.meta.url, which a CommonJS bundle lacks;
// it is defined from the bundle's own file name instead.
const importMetaUrlBanner = "var __import_meta_url = require('url').pathToFileURL(__filename).href;";

/** Options every node bundle shares. */
const nodeBundle = (entry, outfile, extra = {}) => ({
  entryPoints: [path.join(root, entry)],
  outfile: path.join(dist, outfile),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  minify: production,
  logLevel: 'warning',
  define: { 'import.meta.url': '__import_meta_url' },
  ...extra,
  plugins: [tfjsSideEffectsPlugin, ...(extra.plugins ?? [])],
  banner: { js: [extra.banner?.js, importMetaUrlBanner].filter(Boolean).join('\n') },
});

/**
 * tfjs packages declare "sideEffects" for their ESM files only, but a node bundle takes their CJS
 * "main", so esbuild would drop bare imports such as `import '@tensorflow/tfjs-backend-cpu'`, whose
 * whole point is registering a backend. Their side effects are kept.
 */
const tfjsSideEffectsPlugin = {
  name: 'tfjs-side-effects',
  setup(build) {
    build.onResolve({ filter: /^@tensorflow\/tfjs-/ }, async (args) => {
      if (args.pluginData === 'tfjs-side-effects') return undefined;
      const r = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'tfjs-side-effects' });
      return r.errors.length > 0 ? { errors: r.errors } : { path: r.path, external: r.external, sideEffects: true };
    });
  },
};

/** Marks the CLI executable after every build, so `dist/cli.js` runs as a command. */
const chmodPlugin = (file) => ({
  name: 'chmod',
  setup(build) {
    build.onEnd((r) => {
      if (r.errors.length === 0 && fs.existsSync(file)) fs.chmodSync(file, 0o755);
    });
  },
});

function webviewEntries() {
  const dir = path.join(root, 'webview');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /\.(ts|tsx)$/.test(f) && !f.endsWith('.d.ts') && !f.endsWith('.test.ts'))
    .map((f) => path.join(dir, f));
}

function copyWasm() {
  const from = path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
  fs.mkdirSync(dist, { recursive: true });
  for (const f of fs.readdirSync(from).filter((f) => f.endsWith('.wasm'))) fs.copyFileSync(path.join(from, f), path.join(dist, f));
}

const builds = [];
if (fs.existsSync(path.join(root, 'src/extension/main.ts'))) {
  builds.push(nodeBundle('src/extension/main.ts', 'extension.js', { external: ['vscode'] }));
}
builds.push(nodeBundle('src/host/main.ts', 'host.js'));
// The worker threads of core/parallel (α points, networks, evaluations on every core); the
// host, CLI and bench bundles start it from beside themselves (core/parallel/entry.ts).
builds.push(nodeBundle('src/core/parallel/worker.ts', 'worker.js'));
// The HDF5 worker thread: reads .h5 / .keras files with h5wasm under a deadline (core/formats/keras/h5Thread.ts).
builds.push(nodeBundle('src/core/formats/keras/h5Worker.ts', 'h5-worker.js'));
const cliFile = path.join(dist, 'cli.js');
builds.push(nodeBundle('src/cli/main.ts', 'cli.js', { banner: { js: '#!/usr/bin/env node' }, plugins: [chmodPlugin(cliFile)] }));
// The benchmark runner (`npm run bench`); never shipped in the .vsix.
if (fs.existsSync(path.join(root, 'bench/main.ts'))) builds.push(nodeBundle('bench/main.ts', 'bench.js'));
const webviews = webviewEntries();
if (webviews.length > 0) {
  builds.push({
    entryPoints: webviews,
    outdir: path.join(dist, 'webview'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    sourcemap: true,
    minify: production,
    logLevel: 'warning',
    // .ttf: the codicon font (webview/codicons.ts), copied beside the stylesheet that names it.
    loader: { '.css': 'css', '.svg': 'text', '.ttf': 'file' },
  });
}

copyWasm();
if (watch) {
  for (const b of builds) {
    const ctx = await esbuild.context({ ...b, logLevel: 'info' });
    await ctx.watch();
  }
  console.log('esbuild: watching for changes');
} else {
  const t0 = Date.now();
  await Promise.all(builds.map((b) => esbuild.build(b)));
  console.log(`esbuild: ${builds.length} bundles in ${Date.now() - t0} ms${production ? ' (production)' : ''}`);
}
