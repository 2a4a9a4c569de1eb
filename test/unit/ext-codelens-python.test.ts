/**
 * The code lenses' definition finder on Python: real training scripts and the tricky cases.
 * Run: node --import tsx --test test/unit/ext-codelens-python.test.ts
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { findModelDefinitions, ModelDefinition } from '../../src/extension/codeLens/definitions';
import { maskPython } from '../../src/extension/codeLens/pythonSource';

const FIXTURES = path.join(__dirname, '..', 'e2e', 'fixtures', 'codelens');
const fixture = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

const find = (text: string, importContext?: string): ModelDefinition[] =>
  findModelDefinitions(text, 'python', importContext === undefined ? {} : { importContext });
const brief = (defs: readonly ModelDefinition[]): string[] => defs.map((d) => `${d.name}:${d.kind}`);
/** 0-based number of the first line at or after `from` that starts with `needle` (indentation aside). */
const lineOf = (text: string, needle: string, from = 0): number => {
  const i = text.split('\n').findIndex((l, k) => k >= from && l.trimStart().startsWith(needle));
  assert.ok(i >= 0, `no line contains ${needle}`);
  return i;
};

describe('Python masking', () => {
  test('keeps offsets and line breaks, blanks comments and every kind of string', () => {
    const text = [
      'x = "a # b"  # comment (',
      "y = rb'it''s' + f\"{nn.Module}\"",
      'z = """doc',
      'class A(nn.Module): pass',
      '""" ; w = 1',
      "s = 'unterminated",
      'class B(nn.Module): pass',
    ].join('\n');
    const m = maskPython(text);
    assert.equal(m.code.length, text.length);
    assert.deepEqual(m.code.split('\n').map((l) => l.length), text.split('\n').map((l) => l.length));
    assert.ok(!m.code.includes('comment'));
    assert.ok(!m.code.includes('Module}'));
    assert.ok(!m.code.includes('class A'), 'inside a triple-quoted string');
    assert.ok(m.code.includes('class B'), 'an unterminated string ends at its line');
    assert.deepEqual(m.continued, [false, false, false, true, true, false, false]);
    assert.equal(m.strings.length, 6);
    assert.equal(m.strings[2]!.body, "s");                 // rb'it' then 's'
  });

  test('brackets and backslashes continue lines, with LF or CRLF', () => {
    const m = maskPython('a = (1,\n 2)\nb = 1 + \\\n 2\nc = 3\n');
    assert.deepEqual(m.continued, [false, true, false, true, false, false]);
    const crlf = maskPython('a = (1,\r\n 2)\r\nb = 1 + \\\r\n 2\r\nc = 3\r\n');
    assert.deepEqual(crlf.continued, [false, true, false, true, false, false]);
  });

  test('one continuation flag per line, whatever the text', () => {
    for (const name of ['mnist_train.py', 'keras_functional.py', 'train_small.py', 'tfjs_train.js']) {
      const text = fixture(name);
      // Cut anywhere (inside strings, comments, brackets): the line count must still agree.
      for (let cut = 0; cut <= text.length; cut += 7) {
        const part = text.slice(0, cut);
        const m = maskPython(part);
        assert.equal(m.continued.length, part.split('\n').length, `${name} cut at ${cut}`);
        assert.equal(m.code.length, part.length, `${name} cut at ${cut}`);
      }
    }
  });

  test('a CRLF file gives the same definitions as its LF twin', () => {
    const text = fixture('mnist_train.py');
    assert.deepEqual(find(text.replace(/\n/g, '\r\n')), find(text));
  });
});

describe('Python definitions: a PyTorch training script', () => {
  const text = fixture('mnist_train.py');
  const defs = find(text);

  test('finds the nn.Module classes (multi-line header, local base) and the module-level nn.Sequential', () => {
    assert.deepEqual(brief(defs), [
      'MnistCnn:pytorch-module',
      'Residual:pytorch-module',
      'DeepMlp:pytorch-module',
      'baseline:pytorch-module',
    ]);
  });

  test('line ranges cover the class bodies and the call', () => {
    const cnn = defs[0]!;
    assert.equal(cnn.startLine, lineOf(text, 'class MnistCnn'));
    assert.equal(cnn.endLine, lineOf(text, 'return F.log_softmax'));
    assert.equal(cnn.nameLine, cnn.startLine);
    assert.equal(cnn.nameCharacter, 'class '.length);
    const res = defs[1]!;
    assert.equal(res.startLine, lineOf(text, 'class Residual('));
    assert.equal(res.endLine, lineOf(text, 'return x + self.body(x)'));
    const deep = defs[2]!;
    assert.equal(deep.endLine, lineOf(text, "'''", deep.startLine + 2), 'the docstring ends the body; the column-0 comment after it does not count');
    const baseline = defs[3]!;
    assert.equal(baseline.startLine, lineOf(text, 'baseline = nn.Sequential'));
    assert.equal(baseline.endLine, baseline.startLine);
    assert.equal(baseline.nameCharacter, 4);
  });

  test('layers inside a model class, comments, docstrings and strings are not definitions', () => {
    for (const d of defs) assert.ok(!['head', 'body', 'NotAModel', 'Fake', 'Foo', 'Config', 'model'].includes(d.name), d.name);
  });
});

describe('Python definitions: Keras', () => {
  const text = fixture('keras_functional.py');
  const defs = find(text);

  test('functional models, Sequential assignments (tf.keras, tf.keras.models) and subclasses', () => {
    assert.deepEqual(brief(defs), [
      'classifier:keras-functional',
      'autoencoder:keras-functional',
      'mlp:keras-sequential',
      'model_2:keras-sequential',
      'Scaled:keras-subclass',
    ]);
  });

  test('a multi-line call ends at its closing parenthesis', () => {
    const auto = defs[1]!;
    assert.equal(auto.startLine, lineOf(text, 'autoencoder = keras.Model('));
    assert.equal(auto.endLine, auto.startLine + 3);
    const mlp = defs[2]!;
    assert.equal(mlp.endLine, mlp.startLine + 3);
  });

  test('a definition inside a function is found at its own indentation', () => {
    const c = defs[0]!;
    assert.equal(c.startLine, lineOf(text, 'classifier = keras.Model'));
    assert.equal(c.nameCharacter, 4);
  });
});

describe('Python definitions: imports decide what bare names mean', () => {
  test('from torch.nn import Module, and aliases', () => {
    const text = [
      'from torch.nn import Module, Sequential as Seq',
      'from torch import nn as tnn',
      'class A(Module):',
      '    pass',
      'class B(tnn.Module):',
      '    pass',
      'block = Seq(tnn.Linear(2, 2))',
    ].join('\n');
    assert.deepEqual(brief(find(text)), ['A:pytorch-module', 'B:pytorch-module', 'block:pytorch-module']);
  });

  test('bare Module / Model / Sequential without an import are not models', () => {
    const text = ['class A(Module):', '    pass', 'class B(Model):', '    pass', 'm = Sequential([])', 'n = models.Model(i, o)'].join('\n');
    assert.deepEqual(find(text), []);
  });

  test('a name imported from elsewhere is not mistaken for the framework one', () => {
    const text = ['from mylib import Model', 'import mylib as nn', 'class A(Model):', '    pass', 'class B(nn.Module):', '    pass'].join('\n');
    assert.deepEqual(find(text), []);
  });

  test('Keras spellings: keras, tensorflow.keras, tf_keras, keras.models, star imports', () => {
    const text = [
      'from keras.models import Sequential',
      'from tensorflow.keras import models, Model',
      'import tf_keras',
      'from keras.layers import *',
      'from tensorflow.keras.models import *',
      'a = Sequential()',
      'b = models.Model(i, o)',
      'c = models.Sequential()',
      'class D(Model):',
      '    pass',
      'e = tf_keras.Sequential()',
      'f = Model(inputs=i, outputs=o)',
      'g = keras.models.Sequential()',
      'h = tf.keras.Model(i, o)',
    ].join('\n');
    assert.deepEqual(brief(find(text)), [
      'a:keras-sequential', 'b:keras-functional', 'c:keras-sequential', 'D:keras-subclass',
      'e:keras-sequential', 'f:keras-functional', 'g:keras-sequential', 'h:keras-functional',
    ]);
  });

  test('a notebook cell sees the imports of the other cells', () => {
    const cell = 'model = Sequential([Dense(10)])\nclass Net(Module):\n    pass\n';
    assert.deepEqual(find(cell), []);
    assert.deepEqual(brief(find(cell, 'from keras import Sequential\nfrom torch.nn import Module\n')),
      ['model:keras-sequential', 'Net:pytorch-module']);
  });

  test('a LightningModule is a PyTorch module', () => {
    const text = 'import lightning as L\nimport pytorch_lightning as pl\nclass A(L.LightningModule):\n  pass\nclass B(pl.LightningModule):\n  pass\n';
    assert.deepEqual(brief(find(text)), ['A:pytorch-module', 'B:pytorch-module']);
  });
});

describe('Python definitions: tricky cases', () => {
  test('class Foo(nn.Module, Mixin), keyword arguments and generics in the bases', () => {
    const text = [
      'import torch.nn as nn',
      'class Foo(nn.Module, Mixin):',
      '    pass',
      'class Bar(Mixin, nn.Module, metaclass=Meta):',
      '    pass',
      'class Baz(Generic[T], torch.nn.Module):',
      '    pass',
      'class NotOne(Mixin, metaclass=nn.Module):',
      '    pass',
    ].join('\n');
    assert.deepEqual(brief(find(text)), ['Foo:pytorch-module', 'Bar:pytorch-module', 'Baz:pytorch-module']);
  });

  test('a decorated class starts at its first decorator, comments and blank lines between included', () => {
    const text = [
      'import torch.nn as nn',
      '',
      '@register("mnist")',
      '@dataclass(',
      '    eq=False,',
      ')',
      '# a comment between',
      '',
      'class Net(nn.Module):',
      '    x: int = 1',
      '',
      'y = 2',
    ].join('\n');
    const [d] = find(text);
    assert.deepEqual({ start: d!.startLine, name: d!.nameLine, end: d!.endLine }, { start: 2, name: 8, end: 9 });
  });

  test('a decorator of the statement before does not attach across an unrelated statement', () => {
    const text = '@decorate\ndef f(): pass\nclass Net(nn.Module):\n    pass\n';
    assert.equal(find(text)[0]!.startLine, 2);
  });

  test('one-line classes and nested classes', () => {
    const text = [
      'class Tiny(nn.Module): pass',
      'class Outer:',
      '    class Inner(nn.Module):',
      '        def forward(self, x):',
      '            return x',
      '    other = 1',
    ].join('\n');
    const defs = find(text);
    assert.deepEqual(brief(defs), ['Tiny:pytorch-module', 'Inner:pytorch-module']);
    assert.deepEqual([defs[0]!.startLine, defs[0]!.endLine], [0, 0]);
    assert.deepEqual([defs[1]!.startLine, defs[1]!.endLine, defs[1]!.nameCharacter], [2, 4, 10]);
  });

  test('Sequential as a call argument, a return value, a comparison or a chained call is not a definition', () => {
    const text = [
      'import keras',
      'wrap(keras.Sequential([]))',
      'def build():',
      '    return keras.Sequential([])',
      'same = a == keras.Sequential([])',
      'fitted = keras.Sequential([]).fit(x)',
      'models = [keras.Sequential([]) for _ in range(3)]',
      'kw = dict(m=keras.Sequential([]))',
    ].join('\n');
    assert.deepEqual(find(text), []);
  });

  test('annotated, chained, parenthesised and attribute targets', () => {
    const text = [
      'import keras',
      'a: keras.Model = keras.Model(i, o)',
      'b = c = keras.Sequential()',
      'd = (',
      '    keras.Sequential([',
      '        keras.layers.Dense(1),',
      '    ])',
      ')',
      'class Trainer:',
      '    def __init__(self):',
      '        self.student = keras.Sequential()',
    ].join('\n');
    const defs = find(text);
    assert.deepEqual(brief(defs), ['a:keras-functional', 'b:keras-sequential', 'd:keras-sequential', 'student:keras-sequential']);
    assert.deepEqual([defs[2]!.startLine, defs[2]!.endLine], [3, 6]);
    assert.deepEqual([defs[3]!.nameLine, defs[3]!.nameCharacter], [10, 13]);
  });

  test('nested parentheses in the bases and in the call do not confuse the ranges', () => {
    const text = [
      'import torch.nn as nn',
      'class A(make_base(nn.Module, (1, 2)), nn.Module):',
      '    pass',
      'seq = nn.Sequential(nn.Linear(f(2), (3)), *[nn.ReLU() for _ in range(2)],',
      '    nn.Linear(3, 1))',
      'after = 1',
    ].join('\n');
    const defs = find(text);
    assert.deepEqual(brief(defs), ['A:pytorch-module', 'seq:pytorch-module']);
    assert.deepEqual([defs[1]!.startLine, defs[1]!.endLine], [3, 4]);
  });

  test('strings with parentheses and quotes inside a call do not end it early', () => {
    const text = 'import keras\nm = keras.Sequential([\n    keras.layers.Dense(1, name=")\'"),\n], name="""a\n)b""")\nz = 1\n';
    const [d] = find(text);
    assert.deepEqual([d!.startLine, d!.endLine], [1, 4]);
  });

  test('the mask is linear: a large file takes milliseconds', () => {
    const big = `import torch.nn as nn\n${'class M(nn.Module):\n    def f(self):\n        return "x # y" # z\n'.repeat(5000)}`;
    const t0 = performance.now();
    const defs = find(big);
    assert.equal(defs.length, 5000);
    assert.ok(performance.now() - t0 < 2000, `took ${performance.now() - t0} ms`);
  });
});
