// Which e2e test files exist and, for extension host suites, which extension each one needs.
// Shared by run.mjs and .vscode-test.mjs so both run the same suites the same way. No
// dependencies: .vscode-test.mjs loads this on machines that have only @vscode/test-cli.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const UI_DIR = join(ROOT, 'test', 'e2e', 'ui');
export const EXTHOST_DIR = join(ROOT, 'test', 'e2e', 'exthost');

function list(dir, suffix) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith(suffix)).sort().map((f) => join(dir, f));
}

function matches(file, filters) {
  if (!filters?.length) return true;
  const rel = relative(ROOT, file);
  return filters.some((f) => rel.includes(f));
}

/** UI test files (driven from outside through the browser), optionally filtered by path substring. */
export function uiTestFiles(filters) {
  return list(UI_DIR, '.test.mjs').filter((f) => matches(f, filters));
}

/**
 * Extension host suites grouped by the extension they run against. A suite names it in a header
 * line `// @e2e-extension <path relative to the project root>`; without one it is the project.
 * Returns [{ extensionPath, files }], the project's group first.
 */
export function exthostGroups(filters) {
  const groups = new Map();
  for (const file of list(EXTHOST_DIR, '.test.js').filter((f) => matches(f, filters))) {
    const head = readFileSync(file, 'utf8').split('\n', 20).join('\n');
    const m = /^\s*\/\/\s*@e2e-extension\s+(\S+)/m.exec(head);
    const extensionPath = resolve(ROOT, m ? m[1] : '.');
    if (!groups.has(extensionPath)) groups.set(extensionPath, []);
    groups.get(extensionPath).push(file);
  }
  return [...groups].map(([extensionPath, files]) => ({ extensionPath, files }))
    .sort((a, b) => (a.extensionPath === ROOT ? -1 : b.extensionPath === ROOT ? 1 : a.extensionPath.localeCompare(b.extensionPath)));
}
