// The compute host's pool size inside VS Code (src/extension/host/workers.ts): one core left to
// the editor, never fewer than one worker, and a LINEAR_LENS_WORKERS the user set untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { editorWorkerEnv } from '../../src/extension/host/workers';

test('the host in VS Code leaves one core to the editor; the user\'s LINEAR_LENS_WORKERS wins', () => {
  assert.deepEqual(editorWorkerEnv({}, 8), { LINEAR_LENS_WORKERS: '7' });
  assert.deepEqual(editorWorkerEnv({}, 2), { LINEAR_LENS_WORKERS: '1' });
  assert.deepEqual(editorWorkerEnv({}, 1), { LINEAR_LENS_WORKERS: '1' });
  assert.deepEqual(editorWorkerEnv({ LINEAR_LENS_WORKERS: '3' }, 8), {});
});
