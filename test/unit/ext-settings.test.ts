/**
 * The settings rules of the extension (src/extension/settings/rules.ts): executable settings from
 * an untrusted workspace are ignored, relative and ~ paths, and loose JSON values made typed.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import {
  backendPreference,
  datasetLayout,
  HOST_SETTINGS,
  maxSamples,
  numberList,
  positiveNumber,
  resolveExecutableSetting,
  settingPath,
  settingsTextMentions,
} from '../../src/extension/settings/rules';

describe('executable settings and workspace trust', () => {
  const ins = { defaultValue: '', globalValue: '/usr/bin/node', workspaceValue: './evil/node' };

  test('a trusted workspace uses its own value first', () => {
    assert.deepEqual(resolveExecutableSetting(ins, true), { value: './evil/node', ignoredWorkspaceValue: false });
    assert.deepEqual(resolveExecutableSetting({ ...ins, workspaceFolderValue: '/folder/node' }, true), { value: '/folder/node', ignoredWorkspaceValue: false });
  });

  test('an untrusted workspace gets the user value only, and says a workspace value was ignored', () => {
    assert.deepEqual(resolveExecutableSetting(ins, false), { value: '/usr/bin/node', ignoredWorkspaceValue: true });
    assert.deepEqual(resolveExecutableSetting({ workspaceFolderValue: '/x' }, false), { ignoredWorkspaceValue: true });
    // The same value at both levels is not "ignored": the user chose it.
    assert.deepEqual(resolveExecutableSetting({ globalValue: '/n', workspaceValue: '/n' }, false), { value: '/n', ignoredWorkspaceValue: false });
  });

  test('empty values count as unset', () => {
    assert.deepEqual(resolveExecutableSetting({ defaultValue: '', globalValue: '  ' }, true), { ignoredWorkspaceValue: false });
    assert.deepEqual(resolveExecutableSetting({ workspaceValue: '' }, false), { ignoredWorkspaceValue: false });
    assert.deepEqual(resolveExecutableSetting(undefined, false), { ignoredWorkspaceValue: false });
  });

  test('a settings file that sets a key is noticed, an empty value is not', () => {
    const text = '{\n  // the GPU\n  "linearLens.tfjsNodePath": "/opt/tfjs",\n  "linearLens.nodePath": ""\n}';
    assert.ok(settingsTextMentions(text, 'linearLens.tfjsNodePath'));
    assert.ok(!settingsTextMentions(text, 'linearLens.nodePath'));
    assert.ok(!settingsTextMentions('{"linearLensXnodePath": "/x"}', 'linearLens.nodePath'));
  });

  test('the host restarts on backend, nodePath and tfjsNodePath', () => {
    assert.deepEqual([...HOST_SETTINGS].sort(), ['linearLens.backend', 'linearLens.nodePath', 'linearLens.tfjsNodePath']);
  });
});

describe('paths and values', () => {
  test('paths: ~ is home, relative is the workspace folder', () => {
    assert.equal(settingPath('~/tfjs', '/ws', '/home/u'), path.normalize('/home/u/tfjs'));
    assert.equal(settingPath('data/x.npy', '/ws'), path.normalize('/ws/data/x.npy'));
    assert.equal(settingPath(' /abs/x ', '/ws'), path.normalize('/abs/x'));
    assert.equal(settingPath('rel', undefined), 'rel');
  });

  test('typed values with defaults', () => {
    assert.equal(backendPreference('wasm'), 'wasm');
    assert.equal(backendPreference('gpu'), 'auto');
    assert.equal(datasetLayout('nchw'), 'nchw');
    assert.equal(datasetLayout(3), 'auto');
    assert.equal(positiveNumber(null), undefined);
    assert.equal(positiveNumber(0.5), 0.5);
    assert.equal(positiveNumber(-1), undefined);
    assert.deepEqual(numberList([0.5, 0.25]), [0.5, 0.25]);
    assert.equal(numberList([]), undefined);
    assert.equal(numberList([1, 'x']), undefined);
    assert.equal(maxSamples(undefined), 2000);
    assert.equal(maxSamples(12.7), 12);
    assert.equal(maxSamples(0), 2000);
  });
});
