/**
 * The built `linear-lens` command (dist/cli.js), run as a user runs it.
 * Run: node --import tsx --test test/unit/cli.test.ts
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { HostInfo } from '../../src/protocol/host';
import type { ModelSummary } from '../../src/protocol/model';
import { ensureBuilt, ROOT } from '../support/build';
import { hasStack, runCli, userErrorLine } from '../support/cli';
import { TinyModel, writeTinyTfjsModel } from '../support/fixtures';

const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('linear-lens CLI', () => {
  let tiny: TinyModel;
  before(async () => {
    ensureBuilt();
    tiny = await writeTinyTfjsModel();
  });
  after(() => fs.rmSync(path.dirname(tiny.file), { recursive: true, force: true }));

  test('--help lists the commands and global options', () => {
    const r = runCli(['--help']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Usage: linear-lens/);
    assert.match(r.stdout, /^\s+info\s/m);
    assert.match(r.stdout, /^\s+host-info\s/m);
    assert.match(r.stdout, /--backend auto\|tensorflow\|wasm\|cpu/);
    assert.equal(r.stderr, '');
  });

  test('no arguments prints the help', () => {
    const r = runCli([]);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Commands:/);
  });

  test('info --help, -h and "help info" print the command help', () => {
    for (const args of [['info', '--help'], ['info', '-h'], ['help', 'info'], ['--help', 'info']]) {
      const r = runCli(args);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, /Usage: linear-lens info \[options\] MODEL/, args.join(' '));
      assert.match(r.stdout, /--json/);
    }
  });

  test('--version prints the package version', () => {
    const r = runCli(['--version']);
    assert.equal(r.status, 0);
    assert.equal(r.stdout.trim(), version);
  });

  test('info on a model: exit 0, shapes, layer table and parameter count', () => {
    const r = runCli(['info', tiny.file]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Format\s+tfjs-layers/);
    assert.ok(r.stdout.includes('[?, 8, 8, 1]'), r.stdout);
    assert.ok(r.stdout.includes('[?, 3]'), r.stdout);
    assert.match(r.stdout, /^Layer\s+Type\s+Output shape\s+Params$/m);
    for (const name of tiny.layerNames) assert.match(r.stdout, new RegExp(`^${name}\\s`, 'm'));
    assert.match(r.stdout, new RegExp(`^Parameters: ${tiny.paramCount}\\b`, 'm'));
  });

  test('info --json prints the model summary as JSON', () => {
    const r = runCli(['info', '--json', tiny.file]);
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout) as ModelSummary;
    assert.equal(s.format, 'tfjs-layers');
    assert.equal(s.file, tiny.file);
    assert.deepEqual(s.inputs.map((p) => p.shape), [tiny.inputShape]);
    assert.deepEqual(s.outputs.map((p) => p.shape), [tiny.outputShape]);
    assert.equal(s.paramCount, tiny.paramCount);
    assert.ok(Array.isArray(s.layers) && s.layers.length >= 3);
  });

  test('info on a missing file: exit 2, one stderr line naming the file, no stack', () => {
    const missing = path.join(path.dirname(tiny.file), 'missing.h5');
    const line = userErrorLine(runCli(['info', missing]));
    assert.ok(line.includes(missing), line);
    assert.match(line, /^linear-lens: /);
  });

  test('info on a file that is not a model: exit 2 with what it is not', () => {
    const notModel = path.join(path.dirname(tiny.file), 'notes.txt');
    fs.writeFileSync(notModel, 'just some text\n');
    assert.match(userErrorLine(runCli(['info', notModel])), /not a model file/);
  });

  test('info on a folder: exit 2', () => {
    assert.match(userErrorLine(runCli(['info', path.dirname(tiny.file)])), /not a regular file/);
  });

  test('unknown flag, unknown command, missing and extra arguments, bad backend: exit 2 without a stack', () => {
    assert.match(userErrorLine(runCli(['info', '--frobnicate', tiny.file])), /unknown option --frobnicate/);
    assert.match(userErrorLine(runCli(['--frobnicate'])), /unknown option --frobnicate/);
    assert.match(userErrorLine(runCli(['inof', tiny.file])), /unknown command "inof" \(did you mean info( or interpret)?\?\)/);
    assert.match(userErrorLine(runCli(['info'])), /missing MODEL/);
    assert.match(userErrorLine(runCli(['info', tiny.file, 'extra'])), /unexpected argument "extra"/);
    assert.match(userErrorLine(runCli(['--backend', 'gpu', 'host-info'])), /--backend must be one of auto, tensorflow, wasm, cpu/);
    assert.match(userErrorLine(runCli(['host-info', '--backend'])), /--backend needs a value/);
    assert.match(userErrorLine(runCli(['info', '--json=yes', tiny.file])), /--json takes no value/);
    assert.match(userErrorLine(runCli(['host-info'], { LINEAR_LENS_BACKEND: 'gpu' })), /LINEAR_LENS_BACKEND: unknown backend "gpu"/);
  });

  test('host-info --json parses and reports wasm by default', () => {
    const r = runCli(['host-info', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout) as HostInfo;
    assert.equal(info.backend.name, 'wasm');
    assert.ok(info.backend.notUsed.some((n) => n.backend === 'tensorflow'));
    assert.equal(info.versions.linearLens, version);
    assert.equal(r.stderr, '');
  });

  test('the global --backend flag works before or after the command', () => {
    for (const args of [['--backend', 'cpu', 'host-info', '--json'], ['host-info', '--json', '--backend=cpu']]) {
      const r = runCli(args);
      assert.equal(r.status, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as HostInfo).backend.name, 'cpu');
    }
  });

  test('host-info prints the backend in words', () => {
    const r = runCli(['host-info']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Backend\s+wasm: wasm \(CPU/m);
    assert.match(r.stdout, /^Not used\s+tensorflow: /m);
    assert.ok(!hasStack(r.stdout));
  });
});
