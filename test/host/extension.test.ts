/**
 * dist/extension.js with a stand-in for the `vscode` module: activation registers
 * linearLens.showHostInfo, which forks dist/host.js, asks host/info and reports the backend;
 * deactivate stops the host. (The real-editor check is the e2e suite's.)
 * Run: node --import tsx --test test/host/extension.test.ts
 */
import * as assert from 'node:assert/strict';
import Module from 'node:module';
import * as path from 'node:path';
import { test } from 'node:test';
import { DIST, ensureBuilt, ROOT } from '../support/build';

interface FakeVscode {
  readonly messages: { info: string[]; error: string[] };
  readonly output: string[];
  readonly commands: Map<string, () => Promise<void>>;
  readonly api: object;
}

function fakeVscode(): FakeVscode {
  const messages = { info: [] as string[], error: [] as string[] };
  const output: string[] = [];
  const commands = new Map<string, () => Promise<void>>();
  const api = {
    window: {
      createOutputChannel: (name: string) => {
        assert.equal(name, 'Linear Lens');
        return { appendLine: (l: string) => output.push(l), show: () => undefined, dispose: () => undefined };
      },
      showInformationMessage: async (m: string) => void messages.info.push(m),
      showErrorMessage: async (m: string) => void messages.error.push(m),
    },
    commands: {
      registerCommand: (id: string, fn: () => Promise<void>) => {
        commands.set(id, fn);
        return { dispose: () => commands.delete(id) };
      },
    },
    workspace: { getConfiguration: () => ({ get: <T>(_key: string, fallback?: T) => fallback }) },
  };
  return { messages, output, commands, api };
}

interface ExtensionModule {
  activate(ctx: { subscriptions: { dispose(): unknown }[]; asAbsolutePath(p: string): string }): void;
  deactivate(): Promise<void>;
}

test('showHostInfo forks the host and reports its backend; deactivate stops it', async () => {
  ensureBuilt();
  const vscode = fakeVscode();
  const loader = Module as unknown as { _load(request: string, parent: unknown, isMain: boolean): unknown };
  const original = loader._load;
  loader._load = function (request, parent, isMain) {
    return request === 'vscode' ? vscode.api : original.call(this, request, parent, isMain);
  };
  try {
    const ext = Module.createRequire(__filename)(path.join(DIST, 'extension.js')) as ExtensionModule;
    const subscriptions: { dispose(): unknown }[] = [];
    ext.activate({ subscriptions, asAbsolutePath: (p) => path.join(ROOT, p) });
    const show = vscode.commands.get('linearLens.showHostInfo');
    assert.ok(show, 'the command is registered');
    await show();
    assert.deepEqual(vscode.messages.error, []);
    assert.match(vscode.messages.info[0] ?? '', /Linear Lens computes on wasm \(CPU/);
    const hostLine = vscode.output.find((l) => l.startsWith('Compute host (pid '));
    assert.ok(hostLine, vscode.output.join('\n'));
    const pid = Number(/pid (\d+)/.exec(hostLine)![1]);
    assert.ok(vscode.output.some((l) => /tensorflow not used: /.test(l)));
    await ext.deactivate();
    assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the host process is gone');
    for (const s of subscriptions) s.dispose();
  } finally {
    loader._load = original;
  }
});
