/**
 * The code lenses' definition finder on JavaScript and TypeScript (TensorFlow.js models).
 * Run: node --import tsx --test test/unit/ext-codelens-script.test.ts
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { DefinitionLanguage, findModelDefinitions, isDefinitionLanguage, ModelDefinition } from '../../src/extension/codeLens/definitions';
import { maskScript } from '../../src/extension/codeLens/scriptSource';

const FIXTURES = path.join(__dirname, '..', 'e2e', 'fixtures', 'codelens');
const find = (text: string, language: DefinitionLanguage = 'typescript', importContext?: string): ModelDefinition[] =>
  findModelDefinitions(text, language, importContext === undefined ? {} : { importContext });
const brief = (defs: readonly ModelDefinition[]): string[] => defs.map((d) => `${d.name}:${d.kind}`);

describe('JavaScript/TypeScript masking', () => {
  test('keeps offsets, blanks comments, strings, template text and regular expressions', () => {
    const text = [
      "const a = 'tf.sequential(' + \"x // y\"; // tf.sequential(",
      '/* tf.sequential(',
      '   tf.model( */ const b = `t ${tf.sequential()} ${ {k: `in ${x}`}.k } tf.model(`;',
      'const r = /tf.sequential\\(/g, q = a / 2 / 3;',
      "const s = 'unterminated",
      'const c = tf.model({});',
    ].join('\n');
    const m = maskScript(text);
    assert.equal(m.code.length, text.length);
    assert.deepEqual(m.code.split('\n').map((l) => l.length), text.split('\n').map((l) => l.length));
    const calls = [...m.code.matchAll(/tf\.(sequential|model)\(/g)].map((x) => x[0]);
    assert.deepEqual(calls, ['tf.sequential(', 'tf.model('], m.code);
    assert.ok(m.code.includes('a / 2 / 3'), 'divisions are code');
    assert.ok(m.code.includes('const c'), 'an unterminated string ends at its line');
  });

  test('one continuation flag per line, whatever the text', () => {
    const text = fs.readFileSync(path.join(FIXTURES, 'tfjs_train.js'), 'utf8') + '\nconst t = `a\n${ {b: `c\n${d}`} }\n`; /* x\n y */ \'e\\\nf\';\n';
    for (let cut = 0; cut <= text.length; cut += 3) {
      const part = text.slice(0, cut);
      assert.equal(maskScript(part).continued.length, part.split('\n').length, `cut at ${cut}`);
      assert.equal(maskScript(part).code.length, part.length, `cut at ${cut}`);
    }
  });

  test('a CRLF file gives the same definitions as its LF twin', () => {
    const text = fs.readFileSync(path.join(FIXTURES, 'tfjs_train.js'), 'utf8');
    assert.deepEqual(find(text.replace(/\n/g, '\r\n'), 'javascript'), find(text, 'javascript'));
  });

  test('a regular expression after return, and a division after a closing parenthesis', () => {
    const m = maskScript('function f() { return /\'/.test(x) }\nconst y = (a) / 2; const z = \'q\';\n');
    assert.ok(m.code.includes('.test(x)'));
    assert.ok(m.code.includes('(a) / 2'));
    assert.equal(m.strings.at(-1)!.body, 'q');
  });
});

describe('TF.js definitions: a training script', () => {
  const text = fs.readFileSync(path.join(FIXTURES, 'tfjs_train.js'), 'utf8');
  const defs = find(text, 'javascript');

  test('finds const/let assignments and this.property assignments, not comments, strings or regexes', () => {
    assert.deepEqual(brief(defs), [
      'model:tfjs-sequential',
      'mnistMlp:tfjs-sequential',
      'functional:tfjs-model',
      'student:tfjs-model',
    ]);
  });

  test('ranges run from the statement to the closing parenthesis', () => {
    const lines = text.split('\n');
    const mlp = defs[1]!;
    assert.ok(lines[mlp.startLine]!.startsWith('const mnistMlp'));
    assert.ok(lines[mlp.endLine]!.startsWith('})'));
    assert.equal(mlp.nameCharacter, 'const '.length);
    const student = defs[3]!;
    assert.equal(lines[student.nameLine]!.indexOf('student'), student.nameCharacter);
  });
});

describe('TF.js definitions: TypeScript and imports', () => {
  test('export const with a type annotation, class fields, property chains', () => {
    const text = [
      "import * as tf from '@tensorflow/tfjs';",
      'export const classifier: tf.Sequential = tf.sequential({',
      '  layers: [tf.layers.dense({ units: 10, inputShape: [4] })],',
      '});',
      'export class Holder {',
      '  private readonly net: tf.Sequential = tf.sequential();',
      '  static teacher = tf.model({ inputs, outputs });',
      '  build(): void {',
      '    this.models.student = tf.sequential();',
      '  }',
      '}',
      'var legacy = tf.sequential();',
      'window.globalModel = tf.sequential();',
    ].join('\n');
    const defs = find(text);
    assert.deepEqual(brief(defs), [
      'classifier:tfjs-sequential', 'net:tfjs-sequential', 'teacher:tfjs-model', 'student:tfjs-sequential',
      'legacy:tfjs-sequential', 'globalModel:tfjs-sequential',
    ]);
    assert.deepEqual([defs[0]!.startLine, defs[0]!.endLine, defs[0]!.nameCharacter], [1, 3, 13]);
  });

  test('the namespace is whatever the file imports TensorFlow.js as', () => {
    const text = [
      "import * as tfn from '@tensorflow/tfjs-node-gpu';",
      "const tfl = require('@tensorflow/tfjs-layers');",
      "import { sequential, model as makeModel } from '@tensorflow/tfjs';",
      "import * as other from 'not-tensorflow';",
      'const a = tfn.sequential();',
      'const b = tfl.model({ inputs, outputs });',
      'const c = sequential();',
      'const d = makeModel({ inputs, outputs });',
      'const e = other.sequential();',
      'const f = tf.sequential();',
      'const g = model();',
    ].join('\n');
    assert.deepEqual(brief(find(text)), [
      'a:tfjs-sequential', 'b:tfjs-model', 'c:tfjs-sequential', 'd:tfjs-model', 'f:tfjs-sequential',
    ]);
  });

  test('destructured require and the imports of another cell', () => {
    const text = "const { sequential } = require('@tensorflow/tfjs');\nconst m = sequential();\n";
    assert.deepEqual(brief(find(text, 'javascript')), ['m:tfjs-sequential']);
    assert.deepEqual(find('const m = seq();\n'), []);
    assert.deepEqual(brief(find('const m = seq();\n', 'typescript', "import { sequential as seq } from '@tensorflow/tfjs'")), ['m:tfjs-sequential']);
  });

  test('calls that are not assigned, comparisons, arrow bodies and chained calls are not definitions', () => {
    const text = [
      'doSomething(tf.sequential());',
      'if (m === tf.sequential()) {}',
      'const make = () => tf.sequential();',
      'function build() { return tf.sequential(); }',
      'const n = tf.sequential().add(layer);',
      'const s = tf.Sequential;',
      'const t = tf.sequentialish();',
    ].join('\n');
    assert.deepEqual(find(text), []);
  });

  test('a multi-line statement and JSX around it', () => {
    const text = [
      "import * as tf from '@tensorflow/tfjs';",
      'const model =',
      '  tf.sequential();',
      "const view = <p>Don't use tf.sequential( here</p>;",
      'let other = tf.model({inputs: a, outputs: b});',
    ].join('\n');
    const defs = find(text, 'typescriptreact');
    assert.deepEqual(brief(defs), ['model:tfjs-sequential', 'other:tfjs-model']);
    assert.deepEqual([defs[0]!.startLine, defs[0]!.nameLine, defs[0]!.endLine], [1, 1, 2]);
  });

  test('languages', () => {
    for (const id of ['python', 'javascript', 'typescript', 'javascriptreact', 'typescriptreact']) assert.ok(isDefinitionLanguage(id));
    for (const id of ['plaintext', 'json', 'jupyter']) assert.ok(!isDefinitionLanguage(id));
  });
});
