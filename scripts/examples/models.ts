import * as tfl from '@tensorflow/tfjs-layers';

export type Family = 'mlp' | 'cnn';

/**
 * Seeded initialisers, a distinct seed per layer so that two layers of one net do not start from
 * the same draw. Biases start at zero.
 */
function init(seed: number, layer: number) {
  return tfl.initializers.glorotUniform({ seed: seed * 1000 + layer });
}

/** 784-256-256-10 on [28, 28, 1] images (Flatten first), logits out. */
export function buildMlp(seed: number, name: string): tfl.Sequential {
  const m = tfl.sequential({ name });
  m.add(tfl.layers.flatten({ name: 'flatten', inputShape: [28, 28, 1] }));
  m.add(tfl.layers.dense({ name: 'dense1', units: 256, activation: 'relu', kernelInitializer: init(seed, 1) }));
  m.add(tfl.layers.dense({ name: 'dense2', units: 256, activation: 'relu', kernelInitializer: init(seed, 2) }));
  m.add(tfl.layers.dense({ name: 'logits', units: 10, activation: 'linear', kernelInitializer: init(seed, 3) }));
  return m;
}

/** conv3x3·16 same → relu → maxpool 2 → conv3x3·32 same → relu → maxpool 2 → flatten → dense 10 (logits). */
export function buildCnn(seed: number, name: string): tfl.Sequential {
  const m = tfl.sequential({ name });
  m.add(tfl.layers.conv2d({ name: 'conv1', inputShape: [28, 28, 1], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(seed, 1) }));
  m.add(tfl.layers.maxPooling2d({ name: 'pool1', poolSize: 2, strides: 2 }));
  m.add(tfl.layers.conv2d({ name: 'conv2', filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(seed, 2) }));
  m.add(tfl.layers.maxPooling2d({ name: 'pool2', poolSize: 2, strides: 2 }));
  m.add(tfl.layers.flatten({ name: 'flatten' }));
  m.add(tfl.layers.dense({ name: 'logits', units: 10, activation: 'linear', kernelInitializer: init(seed, 3) }));
  return m;
}

export function build(family: Family, seed: number, name: string): tfl.Sequential {
  return family === 'mlp' ? buildMlp(seed, name) : buildCnn(seed, name);
}
