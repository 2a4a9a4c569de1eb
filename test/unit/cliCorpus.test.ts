/**
 * `linear-lens info` on every real model of the corpus (../shared/corpus, or LINEAR_LENS_CORPUS)
 * prints the input/output shapes and parameter count its manifest records; files the manifest
 * marks expected_unsupported exit 2 with one clear line. Skipped when the corpus is absent.
 * Run: node --import tsx --test test/unit/cliCorpus.test.ts
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import type { ModelSummary } from '../../src/protocol/model';
import { ensureBuilt } from '../support/build';
import { runCli, userErrorLine } from '../support/cli';
import { corpusDir } from '../support/fixtures';

type Dim = number | string | null;
type ManifestShape = Dim[] | Dim[][];

interface ManifestEntry {
  readonly id: string;
  readonly format: string;
  readonly expected: 'supported' | 'expected_unsupported';
  readonly main_file: string;
  readonly input_shape?: ManifestShape;
  readonly output_shape?: ManifestShape;
  readonly inputs?: readonly { readonly name: string; readonly shape: Dim[] }[];
  readonly outputs?: readonly { readonly name: string; readonly shape: Dim[] }[];
  readonly param_count: number;
}

/** One shape per port; named (symbolic) dimensions are free, which the summary writes as null. */
function portShapes(shape: ManifestShape | undefined, ports: ManifestEntry['inputs']): (number | null)[][] {
  const shapes: Dim[][] = ports ? ports.map((p) => p.shape) : shape === undefined ? [] : Array.isArray(shape[0]) || shape.length === 0 ? (shape as Dim[][]) : [shape as Dim[]];
  return shapes.map((s) => s.map((d) => (typeof d === 'number' ? d : null)));
}

const formatShape = (s: readonly (number | null)[]): string => `[${s.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;

const dir = corpusDir();
const entries: ManifestEntry[] = dir ? (JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { entries: ManifestEntry[] }).entries : [];

describe('linear-lens info on the corpus', { skip: !dir && 'no corpus (../shared/corpus)' }, () => {
  before(() => ensureBuilt());

  for (const e of entries) {
    const file = path.join(dir!, e.id, e.main_file);
    if (e.expected === 'expected_unsupported') {
      test(`${e.id}: refused with one clear line (exit 2)`, () => {
        const line = userErrorLine(runCli(['info', file]));
        assert.ok(line.includes(file), `the message names the file: ${line}`);
      });
      continue;
    }
    test(`${e.id}: shapes and parameter count match the manifest`, () => {
      const inputs = portShapes(e.input_shape, e.inputs);
      const outputs = portShapes(e.output_shape, e.outputs);
      const json = runCli(['info', '--json', file]);
      assert.equal(json.status, 0, json.stderr);
      const s = JSON.parse(json.stdout) as ModelSummary;
      assert.deepEqual(s.inputs.map((p) => [...p.shape]), inputs, 'input shapes');
      assert.deepEqual(s.outputs.map((p) => [...p.shape]), outputs, 'output shapes');
      assert.equal(s.paramCount, e.param_count, 'parameter count');
      const text = runCli(['info', file]);
      assert.equal(text.status, 0, text.stderr);
      for (const shape of [...inputs, ...outputs]) assert.ok(text.stdout.includes(formatShape(shape)), `prints ${formatShape(shape)}`);
      const printed = /^Parameters: ([\d,]+)/m.exec(text.stdout)?.[1]?.replace(/,/g, '');
      assert.equal(Number(printed), e.param_count, 'printed parameter count');
    });
  }
});
