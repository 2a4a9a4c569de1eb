import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Assignment, lapUsesWasm, linearAssignment, linearSumAssignment, linearSumAssignmentJs, LapOptions } from '../../src/core/linalg/lap';
import { LINALG_WASM_SOURCES } from '../../src/core/linalg/wasmBinary';
import { mulberry32 } from './helpers/random';

/** Costs of one of several kinds: continuous, few distinct integers (many ties), constant, huge range, ±0. */
function costs(rnd: () => number, size: number, kind: number): Float64Array {
  const c = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const u = rnd();
    c[i] = [u * 2 - 1, Math.floor(u * 3) - 1, 7, (u - 0.5) * 1e9, Math.floor(u * 2) ? 0 : -0, Math.fround(u)][kind];
  }
  return c;
}

/** Bit for bit, except the sign of a zero (the SIMD row minimum may keep the other one of ±0). */
function sameNumbers(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!(a[i] === b[i] || (Number.isNaN(a[i]) && Number.isNaN(b[i])))) return false;
  return true;
}

function assertSame(w: Assignment, j: Assignment, what: string): void {
  assert.deepEqual([...w.rowToCol], [...j.rowToCol], `${what}: rowToCol`);
  assert.deepEqual([...w.colToRow], [...j.colToRow], `${what}: colToRow`);
  assert.ok(sameNumbers(w.u, j.u), `${what}: u`);
  assert.ok(sameNumbers(w.v, j.v), `${what}: v`);
  assert.ok(w.value === j.value, `${what}: value ${w.value} vs ${j.value}`);
}

test('linalg WebAssembly: built from the C sources in the tree; the solver uses it here', () => {
  const dir = new URL('../../src/core/linalg/wasm/', import.meta.url);
  const sources = readdirSync(dir).filter((f) => f.endsWith('.c')).sort();
  assert.deepEqual(sources, Object.keys(LINALG_WASM_SOURCES).sort(), 'the C sources changed: run src/core/linalg/wasm/build.sh');
  for (const f of sources) {
    const sha = createHash('sha256').update(readFileSync(new URL(f, dir))).digest('hex');
    assert.equal(sha, LINALG_WASM_SOURCES[f], `${f} changed: run src/core/linalg/wasm/build.sh`);
  }
  assert.ok(lapUsesWasm(), 'Node has WebAssembly SIMD, so the wasm solver should load');
});

test('linear assignment (WebAssembly): the same result as the TypeScript solver, bit for bit (square, wide, tall, ties)', () => {
  const rnd = mulberry32(11);
  const shapes: [number, number][] = [[1, 1], [1, 5], [5, 1], [2, 2], [3, 7], [7, 3], [5, 5], [6, 6], [9, 9], [13, 17], [17, 13], [31, 31], [64, 64], [65, 65], [100, 37], [37, 100], [130, 130]];
  for (const [nr, nc] of shapes) {
    for (let kind = 0; kind < 6; kind++) {
      const c = costs(rnd, nr * nc, kind);
      for (const maximize of [false, true]) {
        const what = `${nr}×${nc} kind ${kind}${maximize ? ' max' : ''}`;
        assertSame(linearSumAssignment(c, nr, nc, { maximize }), linearSumAssignmentJs(c, nr, nc, { maximize }), what);
        // The float32 path (converted inside the module) and a plain array (converted in JS).
        const f = Float32Array.from(c);
        assertSame(linearSumAssignment(f, nr, nc, { maximize }), linearSumAssignmentJs(f, nr, nc, { maximize }), `${what} f32`);
        const arr = Array.from(c);
        assertSame(linearSumAssignment(arr, nr, nc, { maximize }), linearSumAssignmentJs(arr, nr, nc, { maximize }), `${what} array`);
      }
    }
  }
});

test('linear assignment (WebAssembly): warm starts give the same result as the TypeScript solver, bit for bit', () => {
  const rnd = mulberry32(12);
  for (const [nr, nc] of [[40, 40], [57, 57], [200, 200], [30, 45]] as [number, number][]) {
    for (let kind = 0; kind < 6; kind++) {
      const c = costs(rnd, nr * nc, kind);
      let wPrev = linearSumAssignment(c, nr, nc, { maximize: true });
      let jPrev = linearSumAssignmentJs(c, nr, nc, { maximize: true });
      assertSame(wPrev, jPrev, `${nr}×${nc} kind ${kind} cold`);
      for (let t = 0; t < 4; t++) {
        // Nudge some costs (a few, then many), as weight matching's successive matrices do.
        const c2 = c.map((x) => (rnd() < 0.1 * (t + 1) ? x + (rnd() - 0.5) * 0.1 : x));
        const opts = (p: Assignment): LapOptions => ({ maximize: true, start: { rowToCol: p.rowToCol.slice(), v: p.v.slice() } });
        const w = linearSumAssignment(c2, nr, nc, opts(wPrev));
        const j = linearSumAssignmentJs(c2, nr, nc, opts(jPrev));
        assertSame(w, j, `${nr}×${nc} kind ${kind} warm ${t}`);
        wPrev = w;
        jPrev = j;
      }
      // A start that is no solution at all (out-of-range and repeated columns) is still only a start.
      const junk = { rowToCol: Int32Array.from({ length: nr }, (_, i) => (i % 3 === 0 ? -1 : i % 4 === 0 ? nc + 3 : i % 5)), v: new Float64Array(nc).map(() => rnd()) };
      assertSame(linearSumAssignment(c, nr, nc, { start: junk }), linearSumAssignmentJs(c, nr, nc, { start: junk }), `${nr}×${nc} kind ${kind} junk start`);
    }
  }
});

test('linear assignment (WebAssembly): grows its memory for a larger problem and still answers a small one', () => {
  const rnd = mulberry32(13);
  for (const n of [8, 700, 8]) {
    const c = costs(rnd, n * n, 0);
    assertSame(linearAssignment(c, n), linearSumAssignmentJs(c, n, n), `n=${n}`);
  }
});

test('linear assignment (WebAssembly): refuses non-finite costs with the same message as the TypeScript solver', () => {
  const message = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  };
  // Small and larger shapes: the module transposes a tall float32 matrix in 4×8 tiles.
  for (const [nr, nc] of [[3, 4], [4, 3], [4, 4], [9, 16], [16, 9], [16, 16], [13, 18]] as [number, number][]) {
    for (const bad of [NaN, Infinity, -Infinity]) {
      for (const at of [0, 5, 37 % (nr * nc), nr * nc - 1]) {
        const c = new Float64Array(nr * nc).fill(1);
        c[at] = bad;
        for (const input of [c, Float32Array.from(c), Array.from(c)]) {
          const m = message(() => linearSumAssignment(input, nr, nc, { maximize: true }));
          assert.equal(m, message(() => linearSumAssignmentJs(input, nr, nc, { maximize: true })));
          assert.equal(m, `linear assignment: cost ${at} (row ${Math.floor(at / nc)}, column ${at % nc}) is ${bad}`);
        }
      }
    }
  }
});
