/**
 * Links a model definition to a model file by name, when the names leave no doubt: `class MnistCNN`,
 * `mnist_cnn = keras.Sequential(...)` and `const mnistCnnModel = tf.sequential()` all go with
 * `mnist_cnn.onnx`, `MnistCNN.keras` or `mnist-cnn/model.json`. Pure, so it is unit-tested.
 *
 * A name's key: lower case; everything but letters and digits dropped (so `_`, `-`, spaces, dots
 * and camel case all agree); then the generic endings `model(s)`, `net(work)`, `module` and
 * `weights` stripped from the end, repeatedly, as long as something is left (`model` stays
 * `model`, `ResNet` becomes `res` on both sides alike). A file's keys: its base name without the
 * model extension, and its parent folder's name (a TF.js `model.json` is named by its folder).
 * Digits are kept: `resnet18` and `resnet50` are different models.
 */

/** Extensions of model files (and of files a user may name a model after), stripped before keying. */
const MODEL_EXTENSION = /\.(?:onnx|keras|h5|hdf5|json|pb|tflite|pt|pth|ckpt|safetensors|bin)$/i;

/** Generic endings of model names. */
const GENERIC_SUFFIXES = ['network', 'weights', 'models', 'module', 'model', 'net'];

/** The key that names compare by, e.g. `MnistCNNModel` and `mnist-cnn` both give `mnistcnn`. */
export function nameKey(name: string): string {
  let key = name.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
  for (let stripped = true; stripped;) {
    stripped = false;
    for (const suffix of GENERIC_SUFFIXES) {
      if (key.length > suffix.length && key.endsWith(suffix)) {
        key = key.slice(0, -suffix.length);
        stripped = true;
        break;
      }
    }
  }
  return key;
}

/**
 * The keys of a model file: its base name's and its parent folder's. `path` is relative to the
 * workspace folder (with `/` or `\`), so a file at the root is named by its base name only.
 */
export function fileKeys(path: string): string[] {
  const parts = path.split(/[\\/]+/).filter((p) => p !== '');
  const base = parts[parts.length - 1] ?? '';
  const keys = [nameKey(base.replace(MODEL_EXTENSION, ''))];
  if (parts.length > 1) keys.push(nameKey(parts[parts.length - 2]!));
  return [...new Set(keys.filter((k) => k !== ''))];
}

export type NameMatch =
  | { readonly kind: 'unique'; readonly path: string }
  /** Several files match: the user chooses, the extension does not guess. */
  | { readonly kind: 'ambiguous'; readonly paths: readonly string[] }
  | { readonly kind: 'none' };

/** The model file among `paths` (workspace-relative) that `definitionName` names, if exactly one does. */
export function matchModelFile(definitionName: string, paths: readonly string[]): NameMatch {
  const key = nameKey(definitionName);
  if (key === '') return { kind: 'none' };
  const hits = paths.filter((p) => fileKeys(p).includes(key));
  if (hits.length === 1) return { kind: 'unique', path: hits[0]! };
  return hits.length === 0 ? { kind: 'none' } : { kind: 'ambiguous', paths: hits };
}
