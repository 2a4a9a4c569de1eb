/**
 * The CLI's parts that need no build and no loader: argument parsing and the text reports.
 * Run: node --import tsx --test test/unit/cliParts.test.ts
 */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkPositionals, OptionSpec, parseArgv } from '../../src/cli/args';
import { formatBytes, formatCount, formatShape, table } from '../../src/cli/format';
import { renderHostInfo, renderSummary } from '../../src/cli/render';
import { GraphBuilder } from '../../src/core/graph/builder';
import { describeGraph } from '../../src/core/graph/describe';

const globals: OptionSpec[] = [{ name: 'backend', value: { name: 'NAME', choices: ['auto', 'cpu'] }, description: '' }, { name: 'help', short: 'h', description: '' }];
const infoOpts: OptionSpec[] = [{ name: 'json', description: '' }, { name: 'out', value: { name: 'FILE' }, description: '' }];
const specs = (cmd: string | undefined) => (cmd === 'info' ? [...infoOpts, ...globals] : globals);

describe('argument parser', () => {
  test('command, positionals and options in any order', () => {
    const r = parseArgv(['--backend', 'cpu', 'info', 'a.onnx', '--json', '--out=x.json'], specs);
    assert.equal(r.command, 'info');
    assert.deepEqual(r.positionals, ['a.onnx']);
    assert.deepEqual([...r.options], [['backend', 'cpu'], ['json', true], ['out', 'x.json']]);
    assert.deepEqual(r.unknown, []);
  });

  test('command options before the command are unknown; -- ends options', () => {
    const r = parseArgv(['--json', 'info', '--', '--weird-name.onnx'], specs);
    assert.deepEqual(r.unknown, ['--json']);
    assert.deepEqual(r.positionals, ['--weird-name.onnx']);
  });

  test('short flags, values and their errors', () => {
    assert.equal(parseArgv(['info', '-h'], specs).options.get('help'), true);
    assert.throws(() => parseArgv(['--backend', 'gpu'], specs), /must be one of auto, cpu/);
    assert.throws(() => parseArgv(['info', '--out'], specs), /--out needs a value/);
    assert.throws(() => parseArgv(['info', '--out', '--json'], specs), /--out needs a value/);
    assert.throws(() => parseArgv(['info', '--json=1'], specs), /takes no value/);
    assert.equal(parseArgv(['info', '--out', '-'], specs).options.get('out'), '-');
  });

  test('positional checks', () => {
    const p = [{ name: 'A', description: '' }, { name: 'B', description: '', optional: true }];
    assert.doesNotThrow(() => checkPositionals('u', p, ['a']));
    assert.throws(() => checkPositionals('u', p, []), { name: 'UserError', message: /missing A/ });
    assert.throws(() => checkPositionals('u', p, ['a', 'b', 'c']), /unexpected argument "c"/);
  });
});

describe('text reports', () => {
  test('formatting helpers', () => {
    assert.equal(formatShape([null, 28, 28, 1]), '[?, 28, 28, 1]');
    assert.equal(formatCount(1234567), '1,234,567');
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(3 * 1024 * 1024), '3.0 MiB');
    assert.deepEqual(table([['a', 'bb'], ['ccc', 'd']], ['left', 'right']), ['a    bb', 'ccc   d']);
  });

  test('model summary: ports, layer table, parameters, layout note and warnings', () => {
    const b = new GraphBuilder('/models/net.onnx', 'onnx', { framework: 'pytorch', name: 'pytorch', version: '2.2.1' }, 'net');
    const x = b.input('input', [null, 1, 4, 4], 'nchw', [1, 4, 4]);
    const t = b.node('t', { op: 'transpose', perm: [1, 2, 0] }, [x], {}, { layer: 'to_nhwc', layerType: 'Transpose' });
    const f = b.node('flat', { op: 'flatten', order: 'nchw' }, [t], {}, { layerType: 'Flatten' });
    const k = b.param('fc.weight', 'kernel', [16, 1000], new Float32Array(16000));
    const bias = b.param('fc.bias', 'bias', [1000], new Float32Array(1000));
    const d = b.node('fc', { op: 'dense' }, [f], { kernel: k, bias }, { layerType: 'Gemm' });
    b.output(d, 'logits', [null, 1000], 'flat');
    b.warn('training configuration ignored');
    const text = renderSummary(describeGraph(b.build()));
    assert.match(text, /^Format\s+onnx$/m);
    assert.match(text, /^Producer\s+pytorch 2\.2\.1$/m);
    assert.match(text, /^Inputs\s+input\s+\[\?, 1, 4, 4\]\s+nchw$/m);
    assert.match(text, /^Outputs\s+logits\s+\[\?, 1000\]\s+flat$/m);
    assert.match(text, /^fc\s+Gemm\s+\[\?, 1000\]\s+17,000$/m);
    assert.match(text, /^Parameters: 17,000$/m);
    assert.match(text, /NHWC/);
    assert.match(text, /^Warning: training configuration ignored$/m);
  });

  test('host info', () => {
    const text = renderHostInfo({
      backend: { name: 'wasm', device: 'wasm (CPU, SIMD)', notUsed: [{ backend: 'tensorflow', reason: 'not installed' }], tfjsVersion: '4.22.0' },
      versions: { node: '20.0.0', tfjs: '4.22.0', linearLens: '0.1.0' },
      memory: { rss: 50 * 1024 * 1024, heapUsed: 1024, tfBytes: 0, tfTensors: 0 },
      pid: 42,
      jobs: { running: 0, queued: 0 },
    });
    assert.match(text, /^Backend\s+wasm: wasm \(CPU, SIMD\)$/m);
    assert.match(text, /^Not used\s+tensorflow: not installed$/m);
    assert.match(text, /^PID\s+42$/m);
  });
});
