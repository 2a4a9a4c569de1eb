// Pure parts of the webview: colour maps, scales, ticks, file names and CSV. No browser needed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DIVERGING, GRAY, VIRIDIS, colorOf, dataLimits, getColormap, lutIndex, makeScale, paintRgba, rampRgba,
} from '../../webview/components/colormap';
import { formatTick, formatValue, niceRange, niceTicks } from '../../webview/components/ticks';
import { csvField, csvLines } from '../../webview/components/figure';
import { fileNameFor, formatsOf, toBase64 } from '../../webview/lib/export';

describe('colormap', () => {
  test('viridis has 256 entries running from matplotlib\'s dark purple to its yellow', () => {
    assert.equal(VIRIDIS.size, 256);
    assert.equal(VIRIDIS.lut.length, 256 * 3);
    const s = makeScale(VIRIDIS, [], [0, 1]);
    assert.deepEqual(colorOf(s, 0), [68, 1, 84]); // #440154
    assert.deepEqual(colorOf(s, 1), [253, 231, 37]); // #fde725
    // matplotlib's entry 128 is (0.127568, 0.566949, 0.550556).
    assert.deepEqual([...VIRIDIS.lut.subarray(128 * 3, 129 * 3)], [33, 145, 140]);
    // Out of range values clamp to the ends instead of wrapping.
    assert.deepEqual(colorOf(s, -5), [68, 1, 84]);
    assert.deepEqual(colorOf(s, 7), [253, 231, 37]);
  });

  test('viridis gets brighter monotonically (perceptually ordered)', () => {
    const lum = (i: number): number => 0.2126 * VIRIDIS.lut[i * 3]! + 0.7152 * VIRIDIS.lut[i * 3 + 1]! + 0.0722 * VIRIDIS.lut[i * 3 + 2]!;
    for (let i = 1; i < 256; i++) assert.ok(lum(i) >= lum(i - 1) - 0.5, `entry ${i} darker than ${i - 1}`);
  });

  test('the diverging map is white at 0, blue below and red above', () => {
    const s = makeScale(DIVERGING, [-2, 0.5, 1]);
    assert.equal(s.min, -2);
    assert.equal(s.max, 2);
    assert.deepEqual(colorOf(s, 0), [255, 255, 255]);
    assert.equal(lutIndex(s, 0), (DIVERGING.size - 1) / 2);
    const [r0, , b0] = colorOf(s, -2)!;
    const [r1, , b1] = colorOf(s, 2)!;
    assert.ok(b0 > r0, 'negative end is blue');
    assert.ok(r1 > b1, 'positive end is red');
  });

  test('the diverging map is symmetric: v and -v land on mirrored entries', () => {
    const s = makeScale(DIVERGING, [], [-3, 1]);
    assert.deepEqual([s.min, s.max], [-3, 3], 'limits are made symmetric');
    for (let k = 0; k <= 1000; k++) {
      const v = (k / 1000) * 3.5;
      assert.equal(lutIndex(s, v) + lutIndex(s, -v), DIVERGING.size - 1, `v = ${v}`);
    }
    // Both sides get lighter towards 0 at the same rate.
    const light = (v: number): number => colorOf(s, v)!.reduce((a, b) => a + b, 0);
    assert.ok(light(-0.5) > light(-2.5) && light(0.5) > light(2.5));
  });

  test('data limits ignore NaN and infinities and never collapse', () => {
    assert.deepEqual(dataLimits([1, NaN, 3, Infinity, -Infinity], false), [1, 3]);
    assert.deepEqual(dataLimits([-0.5, 2], true), [-2, 2]);
    assert.deepEqual(dataLimits([0, 0], true), [-1, 1]);
    assert.deepEqual(dataLimits([4, 4], false), [2, 6]);
    assert.deepEqual(dataLimits([], false), [0, 1]);
    assert.deepEqual(dataLimits(new Float32Array([0.25, -0.75]), false), [-0.75, 0.25]);
    assert.deepEqual(dataLimits((function* () { yield 2; yield -1; })(), true), [-2, 2]);
  });

  test('NaN has no colour and paints transparent', () => {
    const s = makeScale(VIRIDIS, [0, 1]);
    assert.equal(colorOf(s, NaN), null);
    const out = new Uint8ClampedArray(8);
    paintRgba(s, [NaN, 1], out);
    assert.deepEqual([...out], [0, 0, 0, 0, 253, 231, 37, 255]);
  });

  test('gray runs black to white; ramps cover the table', () => {
    const s = makeScale(GRAY, [], [0, 10]);
    assert.deepEqual(colorOf(s, 0), [0, 0, 0]);
    assert.deepEqual(colorOf(s, 10), [255, 255, 255]);
    const ramp = rampRgba(DIVERGING, 3);
    assert.deepEqual([...ramp.subarray(4, 8)], [255, 255, 255, 255]);
    assert.equal(getColormap('viridis'), VIRIDIS);
  });
});

describe('ticks', () => {
  test('round steps inside the range', () => {
    assert.deepEqual(niceTicks(0, 1, 5).values, [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(-0.37, 2.1, 5).values, [0, 0.5, 1, 1.5, 2]);
    assert.deepEqual(niceTicks(0, 0.3, 3).values, [0, 0.1, 0.2, 0.3], 'no 0.30000000000000004');
    assert.deepEqual(niceTicks(3, 3).values, [3]);
    assert.deepEqual(niceRange(0.013, 0.97), [0, 1]);
    assert.deepEqual(niceRange(-0.03, 1.3), [-0.5, 1.5]);
  });

  test('labels and values are short', () => {
    assert.equal(formatTick(0.5, 0.25), '0.50');
    assert.equal(formatTick(2, 0.5), '2.0');
    assert.equal(formatTick(-1, 1), '-1');
    assert.equal(formatValue(0.123456), '0.1235');
    assert.equal(formatValue(1234567), '1.235e6');
    assert.equal(formatValue(-0.00001234), '-1.234e-5');
    assert.equal(formatValue(NaN), 'NaN');
  });
});

describe('export helpers', () => {
  test('file names are safe and keep the format', () => {
    assert.equal(fileNameFor('Loss barrier per layer', 'svg'), 'loss-barrier-per-layer.svg');
    assert.equal(fileNameFor('Logits split into A·x₀ and b', 'png'), 'logits-split-into-a-x0-and-b.png');
    assert.equal(fileNameFor('../../etc/passwd', 'csv'), 'etc-passwd.csv');
    assert.equal(fileNameFor('***', 'json'), 'figure.json');
  });

  test('CSV quotes what needs quoting', () => {
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField(NaN), 'NaN');
    assert.equal(csvLines(['x', 'y'], [[1, 2], [3, null]]), 'x,y\n1,2\n3,\n');
  });

  test('vector figures offer SVG, raster ones do not', () => {
    assert.deepEqual(formatsOf({ vector: true } as never), ['png', 'svg', 'csv', 'json']);
    assert.deepEqual(formatsOf({ vector: false } as never), ['png', 'csv', 'json']);
  });

  test('base64 of large binary data', () => {
    const bytes = new Uint8Array(200_000).map((_, i) => (i * 7) & 255);
    assert.deepEqual(new Uint8Array(Buffer.from(toBase64(bytes), 'base64')), bytes);
  });
});
