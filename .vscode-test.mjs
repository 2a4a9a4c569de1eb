// @vscode/test-cli configuration (`npx vscode-test`) for machines that can download VS Code:
// the same extension host suites as `node test/e2e/run.mjs` runs offline through code-server,
// grouped the same way (test/e2e/suites.mjs), one configuration per extension under test.
// Desktop VS Code on a headless Linux box needs a display: `xvfb-run -a npx vscode-test`.
// Run one group with `npx vscode-test --label e2e-exthost-<name>`.
import { defineConfig } from '@vscode/test-cli';
import { mkdirSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { ROOT, exthostGroups } from './test/e2e/suites.mjs';

// An empty folder: opening the project itself would make VS Code watch and index node_modules.
// Inside .vscode-test/ (gitignored, where test-cli keeps its downloads) so nothing litters /tmp.
const workspaceFolder = join(ROOT, '.vscode-test', 'workspace');
mkdirSync(workspaceFolder, { recursive: true });

export default defineConfig(exthostGroups().map(({ extensionPath, files }) => ({
  label: `e2e-exthost-${extensionPath === ROOT ? 'linear-lens' : basename(extensionPath)}`,
  version: '1.100.3',            // the VS Code that code-server 4.100.3 bundles
  extensionDevelopmentPath: extensionPath,
  files: files.map((f) => relative(ROOT, f)),
  workspaceFolder,
  launchArgs: ['--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
  mocha: { ui: 'bdd', timeout: 60_000, color: false },
})));
