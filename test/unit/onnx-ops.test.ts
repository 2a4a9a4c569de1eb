/**
 * The ONNX loader on small models made for the tests (test/fixtures/onnx, written by
 * make_fixtures.py with onnx.helper and committed) for ops and attributes the corpus lacks. Each
 * is compared with onnxruntime-node on random inputs; some also check the IR they become.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/tf/backend';
import { loadOnnx } from '../../src/core/formats/onnx';
import { Graph } from '../../src/core/graph/ir';
import { compareWithOrt, projectRoot } from './helpers/onnx';

const FIXTURES = path.join(projectRoot, 'test/fixtures/onnx');

function load(name: string): { graph: Graph; file: string } {
  const file = path.join(FIXTURES, name);
  return { graph: loadOnnx(file, new Uint8Array(fs.readFileSync(file))), file };
}

async function matchesOrt(name: string): Promise<Graph> {
  const { graph, file } = load(name);
  const before = tf.memory().numTensors;
  const c = await compareWithOrt(graph, file, 3);
  c.ok.forEach((ok, i) => assert.ok(ok, `${name} output ${graph.outputs[i].name}: max relative error ${c.rel[i]}`));
  assert.equal(tf.memory().numTensors, before, `${name} leaked tensors`);
  return graph;
}

before(async () => {
  await initBackend({ preference: 'cpu' });
  tf.enableProdMode();
});

const ops = (g: Graph) => g.nodes.map((n) => n.op.op);

const AGAINST_ORT: readonly [string, string][] = [
  ['conv_grouped.onnx', 'grouped conv, then depthwise (group = channels, multiplier 2); 4-D output back in NCHW'],
  ['conv_dilated_strided.onnx', 'dilated and strided conv with asymmetric pads, flattened in NCHW order'],
  ['conv_same_upper.onnx', 'auto_pad SAME_UPPER with stride 2 and an even kernel'],
  ['conv_same_lower.onnx', 'auto_pad SAME_LOWER'],
  ['avgpool_pads_cip0.onnx', 'AveragePool with asymmetric pads, count_include_pad 0'],
  ['avgpool_pads_cip1.onnx', 'AveragePool with asymmetric pads, count_include_pad 1'],
  ['avgpool_ceil_cip0.onnx', 'AveragePool ceil_mode, count_include_pad 0'],
  ['avgpool_ceil_cip1.onnx', 'AveragePool ceil_mode, count_include_pad 1'],
  ['maxpool_ceil.onnx', 'MaxPool ceil_mode with asymmetric pads'],
  ['softmax_opset11.onnx', 'Softmax axis 1 before opset 13 (normalises the flattened tail)'],
  ['softmax_opset13.onnx', 'Softmax axis 1 from opset 13 (one axis)'],
  ['softmax_channels.onnx', 'Softmax over the channels of a conv output'],
  ['clip_opset6.onnx', 'Clip with min / max attributes (opset 6)'],
  ['clip_opset12.onnx', 'Clip with min / max inputs, one omitted (opset 12)'],
  ['pad_opset11.onnx', 'Pad with pads and value as inputs, before a conv'],
  ['pad_opset9.onnx', 'Pad with pads and value as attributes, after a conv'],
  ['concat.onnx', 'Concat on channels and on width'],
  ['nhwc_transposes.onnx', "NHWC input with the graph's own transposes around a conv"],
  ['transpose_matmul.onnx', 'MatMul + Add on a transposed conv output'],
  ['shape_chain_opset13.onnx', 'Shape / Gather / Unsqueeze / Concat / Reshape at opset 13, Squeeze / Unsqueeze'],
  ['shape_slice_opset13.onnx', 'Slice / ConstantOfShape on a static shape, Identity, Dropout, Gemm with alpha, beta and a [1, M] bias'],
  ['shape_slice_opset9.onnx', 'Slice by attributes, Cast of the symbolic batch, Constant'],
  ['reshape_zero.onnx', 'Reshape with 0 and -1 on a fixed batch'],
  ['resize_nearest.onnx', 'Resize nearest by 2 (asymmetric, floor)'],
  ['upsample_opset9.onnx', 'Upsample nearest by 3 x 2 (opset 9)'],
  ['resize_linear.onnx', 'Resize linear (half_pixel by scales, pytorch_half_pixel by sizes)'],
  ['activations.onnx', 'LeakyRelu, Elu, Selu (standard and custom), HardSigmoid, Softplus, Softsign, Tanh, HardSwish, SiLU'],
  ['gelu_opset20.onnx', 'Gelu (opset 20), exact and tanh'],
  ['gelu_erf.onnx', "PyTorch's Erf form of GELU"],
  ['prelu.onnx', 'PRelu with per-channel and shared slopes'],
  ['const_operands.onnx', 'Sub / Div with the constant first, Mul / Add / Div by constants and by a node'],
  ['norms.onnx', 'InstanceNormalization, BatchNormalization (4-D and 2-D), LayerNormalization (opset 17), Gemm alpha'],
  ['typed_fields.onnx', 'weights in float_data / double_data / int32_data rather than raw_data, with Cast'],
  ['external/model.onnx', 'weights in an external data file at an offset'],
];

for (const [name, what] of AGAINST_ORT) {
  test(`${name}: ${what} — matches onnxruntime`, async () => {
    await matchesOrt(name);
  });
}

test('grouped conv keeps its groups; kernels are HWIO with cin / groups', () => {
  const { graph } = load('conv_grouped.onnx');
  const convs = graph.nodes.filter((n) => n.op.op === 'conv2d');
  assert.deepEqual(convs.map((n) => (n.op.op === 'conv2d' ? n.op.groups : 0)), [2, 6]);
  assert.deepEqual(convs.map((n) => graph.params.get(n.params.kernel!)!.shape), [[3, 3, 2, 6], [3, 3, 1, 12]]);
  assert.equal(graph.outputs[0].layout, 'nchw');
  assert.deepEqual(ops(graph).slice(-1), ['transpose']);
});

test('explicit asymmetric pads and SAME_LOWER become explicit IR padding', () => {
  const conv = load('conv_dilated_strided.onnx').graph.nodes.find((n) => n.op.op === 'conv2d')!;
  assert.deepEqual(conv.op.op === 'conv2d' && conv.op.padding, { top: 1, left: 2, bottom: 0, right: 1 });
  const lower = load('conv_same_lower.onnx').graph.nodes.find((n) => n.op.op === 'conv2d')!;
  // 9 rows, stride 2, kernel 4: 5 outputs need 3 rows of padding, 2 of them first for SAME_LOWER.
  assert.deepEqual(lower.op.op === 'conv2d' && lower.op.padding, { top: 2, bottom: 1, left: 1, right: 1 });
});

test("the model's own NHWC transposes cost nothing: no transpose node, input and output stay NHWC", () => {
  const { graph } = load('nhwc_transposes.onnx');
  assert.deepEqual(ops(graph), ['input', 'conv2d', 'relu']);
  assert.equal(graph.inputs[0].layout, 'nhwc');
  assert.equal(graph.outputs[0].layout, 'nhwc');
  assert.deepEqual(graph.outputs[0].shape, [null, 4, 4, 2]);
});

test('Softmax before opset 13 flattens the tail; from 13 it is one axis', () => {
  assert.deepEqual(ops(load('softmax_opset11.onnx').graph), ['input', 'reshape', 'softmax', 'reshape']);
  const g13 = load('softmax_opset13.onnx').graph;
  assert.deepEqual(ops(g13), ['input', 'softmax']);
  assert.deepEqual(g13.nodes[1].op, { op: 'softmax', axis: 0 });
});

test('Clip: attributes and inputs give the same IR op; a missing bound is open', () => {
  assert.deepEqual(load('clip_opset6.onnx').graph.nodes[1].op, { op: 'clip', min: -0.5, max: Math.fround(0.7) });
  const g = load('clip_opset12.onnx').graph;
  assert.deepEqual(g.nodes[1].op, { op: 'clip', min: -0.5, max: Math.fround(0.7) });
  const open = g.nodes[2].op;
  assert.ok(open.op === 'clip' && open.min < -1e38 && open.max === Math.fround(0.3));
});

test('constant operands: sub / div with the constant first are marked, channel constants follow NHWC', () => {
  const { graph } = load('const_operands.onnx');
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  assert.equal(byId.get('sub_const_first')!.constantFirst, true);
  assert.equal(byId.get('div_const_first')!.constantFirst, true);
  assert.equal(byId.get('div_channel')!.constantFirst, undefined);
  // [1, 3, 1, 1] per channel in NCHW is [3] over the NHWC sample; [4] along W is [4, 1].
  assert.deepEqual(graph.params.get(byId.get('div_channel')!.params.constant!)!.shape, [3]);
  assert.deepEqual(graph.params.get(byId.get('mul_row')!.params.constant!)!.shape, [4, 1]);
  assert.equal(graph.params.get(byId.get('add_scalar')!.params.constant!)!.role, 'constant');
});

test('patterns: Erf GELU, Sigmoid * x (SiLU) and MatMul + Add become single ops', () => {
  assert.deepEqual(ops(load('gelu_erf.onnx').graph), ['input', 'dense', 'gelu']);
  const act = load('activations.onnx').graph;
  assert.equal(ops(act).at(-1), 'silu');
  const tm = load('transpose_matmul.onnx').graph;
  const dense = tm.nodes.find((n) => n.op.op === 'dense')!;
  assert.equal(tm.params.get(dense.params.bias!)!.role, 'bias');
  assert.ok(!ops(tm).includes('add'));
});

test('PRelu slopes become alpha parameters laid out for NHWC', () => {
  const { graph } = load('prelu.onnx');
  const pr = graph.nodes.filter((n) => n.op.op === 'prelu');
  assert.deepEqual(pr.map((n) => graph.params.get(n.params.alpha!)!.shape), [[3], []]);
  assert.deepEqual(pr.map((n) => graph.params.get(n.params.alpha!)!.role), ['alpha', 'alpha']);
});

test('norms: batch-norm statistics are non-trainable parameters; stored count is every initializer element', () => {
  const { graph } = load('norms.onnx');
  const bn = graph.nodes.find((n) => n.op.op === 'batchNorm')!;
  assert.equal(graph.params.get(bn.params.movingMean!)!.trainable, false);
  assert.equal(graph.params.get(bn.params.gamma!)!.trainable, true);
  const ln = graph.nodes.find((n) => n.op.op === 'layerNorm')!;
  assert.deepEqual(ln.op, { op: 'layerNorm', axes: [1, 2], epsilon: Math.fround(1e-4) });
  assert.equal(graph.storedParamCount, 3 * 2 * 9 + 4 * 3 + 2 * 12 + 36 * 4 + 4 * 4);
});

test('external data: read from beside the model at its offset', () => {
  const { graph } = load('external/model.onnx');
  const dense = graph.nodes.find((n) => n.op.op === 'dense')!;
  const k = graph.params.get(dense.params.kernel!)!;
  assert.deepEqual(k.shape, [4, 3]);
  const blob = fs.readFileSync(path.join(FIXTURES, 'external/weights.bin'));
  assert.deepEqual(Array.from(k.data), Array.from(new Float32Array(blob.buffer.slice(blob.byteOffset + 16, blob.byteOffset + 64))));
  assert.equal(graph.storedParamCount, 15);
});

test('ports: names, free batch as null, node ids and layers from the ONNX names', () => {
  const { graph } = load('shape_chain_opset13.onnx');
  assert.deepEqual(graph.inputs.map((p) => [p.name, p.shape, p.layout]), [['x', [null, 2, 5, 5], 'nchw']]);
  assert.deepEqual(graph.outputs.map((p) => [p.name, p.shape, p.layout]), [['y', [null, 4], 'flat']]);
  assert.deepEqual(ops(graph), ['input', 'transpose', 'conv2d', 'flatten', 'dense', 'reshape', 'flatten']);
  const fc = graph.nodes.find((n) => n.op.op === 'dense')!;
  assert.equal(fc.id, 'fc');
  assert.equal(fc.layerType, 'Gemm');
  assert.equal(graph.producer.name, 'linear-lens-fixtures 1');
  const fixed = load('reshape_zero.onnx').graph;
  assert.deepEqual(fixed.inputs[0].shape, [1, 2, 3, 4]);
  assert.deepEqual(fixed.outputs[0].shape, [1, 3, 12]);
});

test('shape computations fold away; Identity and Dropout vanish (with a warning); stored counts include Constant tensors', () => {
  const a = load('shape_slice_opset13.onnx').graph;
  assert.deepEqual(ops(a), ['input', 'transpose', 'conv2d', 'flatten', 'dense']);
  assert.ok(a.warnings.some((w) => /Dropout/.test(w)));
  const fc = a.nodes.find((n) => n.op.op === 'dense')!;
  // alpha 1.5 folds into the kernel, beta 2 into the bias.
  assert.deepEqual(a.params.get(fc.params.bias!)!.shape, [5]);
  const b = load('shape_slice_opset9.onnx').graph;
  assert.deepEqual(ops(b), ['input', 'transpose', 'conv2d', 'flatten']);
  assert.equal(b.storedParamCount, 6 + 1);
});
