/**
 * Linking definitions to model files: the name matcher and the remembered links.
 * Run: node --import tsx --test test/unit/ext-codelens-names.test.ts
 */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DefinitionLinks, LinkMemento, linkKey } from '../../src/extension/codeLens/definitionLinks';
import { fileKeys, matchModelFile, nameKey } from '../../src/extension/codeLens/nameMatch';

describe('nameKey', () => {
  test('case, separators and camel case agree', () => {
    for (const n of ['MnistCNN', 'mnist_cnn', 'mnist-cnn', 'Mnist Cnn', 'MNIST_CNN', 'mnistCnn', 'mnist.cnn']) {
      assert.equal(nameKey(n), 'mnistcnn', n);
    }
  });

  test('generic endings are stripped, repeatedly, but never to nothing', () => {
    assert.equal(nameKey('MnistCnnModel'), 'mnistcnn');
    assert.equal(nameKey('mnist_cnn_net'), 'mnistcnn');
    assert.equal(nameKey('MnistNetModel'), 'mnist');
    assert.equal(nameKey('mnist_network'), 'mnist');
    assert.equal(nameKey('MnistModule'), 'mnist');
    assert.equal(nameKey('mnist_models'), 'mnist');
    assert.equal(nameKey('mnist_weights'), 'mnist');
    assert.equal(nameKey('model'), 'model');
    assert.equal(nameKey('Net'), 'net');
    assert.equal(nameKey('NetModel'), 'net');
    assert.equal(nameKey('ResNet'), 'res');
    assert.equal(nameKey('resnet'), 'res');
  });

  test('digits stay: different depths are different models', () => {
    assert.equal(nameKey('ResNet18'), 'resnet18');
    assert.notEqual(nameKey('resnet18'), nameKey('resnet50'));
    assert.equal(nameKey('cnn_seed1'), 'cnnseed1');
  });

  test('non-ASCII letters are kept', () => {
    assert.equal(nameKey('Modèle_Réseau'), 'modèleréseau');
    assert.equal(nameKey('___'), '');
  });
});

describe('fileKeys', () => {
  test('the base name without its model extension, and the parent folder', () => {
    assert.deepEqual(fileKeys('mnist_cnn.onnx'), ['mnistcnn']);
    assert.deepEqual(fileKeys('models/MnistCNN.keras'), ['mnistcnn', 'models']);
    assert.deepEqual(fileKeys('out/mnist-cnn/model.json'), ['model', 'mnistcnn']);
    assert.deepEqual(fileKeys('mnist_cnn.weights.h5'), ['mnistcnn']);
    assert.deepEqual(fileKeys('a\\b\\mnist_cnn.h5'), ['mnistcnn', 'b']);
    assert.deepEqual(fileKeys('mnist_cnn/mnist_cnn.hdf5'), ['mnistcnn']);
  });
});

describe('matchModelFile', () => {
  const files = [
    'mnist_cnn.onnx',
    'checkpoints/fashion-mlp/model.json',
    'examples/models/cnn-seed1/model.json',
    'examples/models/cnn-seed2/model.json',
    'resnet18.keras',
    'resnet50.keras',
  ];

  test('a unique match links automatically, by base name or by folder', () => {
    assert.deepEqual(matchModelFile('MnistCNN', files), { kind: 'unique', path: 'mnist_cnn.onnx' });
    assert.deepEqual(matchModelFile('mnist_cnn', files), { kind: 'unique', path: 'mnist_cnn.onnx' });
    assert.deepEqual(matchModelFile('MnistCnnModel', files), { kind: 'unique', path: 'mnist_cnn.onnx' });
    assert.deepEqual(matchModelFile('FashionMlp', files), { kind: 'unique', path: 'checkpoints/fashion-mlp/model.json' });
    assert.deepEqual(matchModelFile('ResNet18', files), { kind: 'unique', path: 'resnet18.keras' });
    assert.deepEqual(matchModelFile('cnnSeed2', files), { kind: 'unique', path: 'examples/models/cnn-seed2/model.json' });
  });

  test('several matches are ambiguous: the user chooses', () => {
    assert.deepEqual(matchModelFile('model', files), {
      kind: 'ambiguous',
      paths: ['checkpoints/fashion-mlp/model.json', 'examples/models/cnn-seed1/model.json', 'examples/models/cnn-seed2/model.json'],
    });
    assert.deepEqual(matchModelFile('MnistCnn', ['mnist_cnn.onnx', 'export/mnist_cnn.keras']).kind, 'ambiguous');
  });

  test('`model` goes with model.onnx when it is the only one', () => {
    assert.deepEqual(matchModelFile('model', ['model.onnx', 'mnist_model.onnx']), { kind: 'unique', path: 'model.onnx' });
  });

  test('no guessing from parts of names', () => {
    assert.deepEqual(matchModelFile('Mnist', files), { kind: 'none' });
    assert.deepEqual(matchModelFile('Cnn', files), { kind: 'none' });
    assert.deepEqual(matchModelFile('ResNet', files), { kind: 'none' });
    assert.deepEqual(matchModelFile('classifier', files), { kind: 'none' });
    assert.deepEqual(matchModelFile('__', files), { kind: 'none' });
    assert.deepEqual(matchModelFile('MnistCnn', []), { kind: 'none' });
  });
});

describe('DefinitionLinks', () => {
  class MapMemento implements LinkMemento {
    readonly map = new Map<string, unknown>();
    get<T>(key: string): T | undefined { return this.map.get(key) as T | undefined; }
    update(key: string, value: unknown): PromiseLike<void> {
      if (value === undefined) this.map.delete(key); else this.map.set(key, value);
      return Promise.resolve();
    }
  }

  test('remembers per document and definition, and forgets', async () => {
    const memento = new MapMemento();
    const links = new DefinitionLinks(memento);
    await links.set('file:///w/train.py', 'MnistCnn', 'file:///w/a.onnx');
    await links.set('file:///w/other.py', 'MnistCnn', 'file:///w/b.onnx');
    assert.equal(links.get('file:///w/train.py', 'MnistCnn'), 'file:///w/a.onnx');
    assert.equal(links.get('file:///w/other.py', 'MnistCnn'), 'file:///w/b.onnx');
    assert.equal(links.get('file:///w/train.py', 'Other'), undefined);
    assert.ok(memento.map.has(linkKey('file:///w/train.py', 'MnistCnn')));
    assert.equal(linkKey('file:///w/train.py', 'MnistCnn'), 'linearLens.codeLens.link:file:///w/train.py#MnistCnn');
    await links.set('file:///w/train.py', 'MnistCnn', undefined);
    assert.equal(links.get('file:///w/train.py', 'MnistCnn'), undefined);
  });

  test('ignores values that are not URIs', () => {
    const memento = new MapMemento();
    memento.map.set(linkKey('u', 'n'), 42);
    assert.equal(new DefinitionLinks(memento).get('u', 'n'), undefined);
  });
});
