import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core alone registers no gradients; every analysis that uses tf.grad needs them.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { registerWasmGradKernels } from './wasmKernels';
import { registerWasmMaxPoolGrad } from './wasmPoolGrad';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | BackendName;

export interface BackendInfo {
  /** The backend in use. */
  readonly name: BackendName;
  /** What it runs on, in words: "wasm (CPU, SIMD)", "tensorflow (GPU: NVIDIA H100)", ... */
  readonly device: string;
  /** Why each better backend is not in use. */
  readonly notUsed: readonly { backend: BackendName; reason: string }[];
  readonly tfjsVersion: string;
}

export interface BackendOptions {
  readonly preference?: BackendPreference;
  /**
   * Folder that holds an installed @tensorflow/tfjs-node-gpu (or tfjs-node): its node_modules
   * parent or the package folder itself. The GPU backend is opt-in: never a plain dependency,
   * because its install downloads libtensorflow and pins CUDA 11.2.
   */
  readonly tfjsNodePath?: string;
  /** Folder with the tfjs-backend-wasm .wasm binaries; found automatically when absent. */
  readonly wasmDir?: string;
}

/** Locates the folder holding tfjs-backend-wasm's .wasm files: beside the bundle, or in node_modules. */
export function findWasmDir(explicit?: string): string | undefined {
  const candidates = [
    explicit,
    typeof __dirname === 'string' ? __dirname : undefined,
    typeof __dirname === 'string' ? path.join(__dirname, 'wasm') : undefined,
    path.join(process.cwd(), 'node_modules/@tensorflow/tfjs-backend-wasm/dist'),
  ];
  try {
    const req = createRequire(typeof __filename === 'string' ? __filename : path.join(process.cwd(), 'x.js'));
    candidates.push(path.dirname(req.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')));
  } catch {
    // not resolvable from here (bundled): the other candidates cover it
  }
  return candidates.find((d): d is string => !!d && fs.existsSync(path.join(d, 'tfjs-backend-wasm.wasm')));
}

function tryTfjsNode(dir: string | undefined): { ok: true; device: string } | { ok: false; reason: string } {
  if (!dir) return { ok: false, reason: 'not installed (run "Linear Lens: Enable GPU Backend" or set linearLens.tfjsNodePath)' };
  const names = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];
  let lastError = '';
  for (const name of names) {
    let resolved: string | undefined;
    try {
      const req = createRequire(path.join(dir, 'noop.js'));
      resolved = req.resolve(name);
    } catch {
      continue;
    }
    try {
      // Loading the package registers its backend in the one shared tfjs engine (a global).
      createRequire(resolved)(resolved);
      const gpu = name.endsWith('-gpu');
      return { ok: true, device: gpu ? 'GPU (CUDA, libtensorflow)' : 'CPU (libtensorflow)' };
    } catch (e) {
      const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
      lastError = /libcud|libcublas|libcudnn/.test(msg)
        ? `${name} is installed but CUDA libraries are missing (${msg}); it needs CUDA 11.2 and cuDNN 8.1`
        : `${name} failed to load: ${msg}`;
    }
  }
  return { ok: false, reason: lastError || `no @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node under ${dir}` };
}

let current: BackendInfo | undefined;
// Production mode: no per-op debug checks, and no "install tfjs-node" banner on stderr, which
// would corrupt the CLI's output and the host's log.
tf.enableProdMode();
let wasmPathsSet = false;

/** Picks and initialises a backend: tensorflow (GPU) when present and wanted, else wasm, else cpu. */
export async function initBackend(opts: BackendOptions = {}): Promise<BackendInfo> {
  const pref = opts.preference ?? 'auto';
  const notUsed: { backend: BackendName; reason: string }[] = [];
  const order: BackendName[] = pref === 'auto' ? ['tensorflow', 'wasm', 'cpu'] : [pref, ...(['wasm', 'cpu'] as BackendName[]).filter((b) => b !== pref)];
  for (const name of order) {
    if (name === 'tensorflow') {
      const r = tryTfjsNode(opts.tfjsNodePath ?? process.env.LINEAR_LENS_TFJS_NODE);
      if (!r.ok) {
        notUsed.push({ backend: 'tensorflow', reason: r.reason });
        continue;
      }
      if (await tf.setBackend('tensorflow')) {
        current = { name, device: `tensorflow (${r.device})`, notUsed, tfjsVersion: tf.version_core };
        return current;
      }
      notUsed.push({ backend: 'tensorflow', reason: 'the tensorflow backend did not initialise' });
    } else if (name === 'wasm') {
      const dir = findWasmDir(opts.wasmDir);
      if (!dir) {
        notUsed.push({ backend: 'wasm', reason: 'the tfjs-backend-wasm .wasm binaries were not found' });
        continue;
      }
      // The paths may be set only before the backend first initialises.
      if (!wasmPathsSet) setWasmPaths(dir.endsWith(path.sep) ? dir : dir + path.sep);
      wasmPathsSet = true;
      try {
        if (await tf.setBackend('wasm')) {
          registerWasmGradKernels();
          registerWasmMaxPoolGrad();
          const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
          current = { name, device: `wasm (CPU${simd ? ', SIMD' : ''})`, notUsed, tfjsVersion: tf.version_core };
          return current;
        }
        notUsed.push({ backend: 'wasm', reason: 'the wasm backend did not initialise' });
      } catch (e) {
        notUsed.push({ backend: 'wasm', reason: `the wasm backend failed: ${e instanceof Error ? e.message : String(e)}` });
      }
    } else {
      await tf.setBackend('cpu');
      current = { name: 'cpu', device: 'cpu (plain JavaScript)', notUsed, tfjsVersion: tf.version_core };
      return current;
    }
  }
  throw new Error('no TensorFlow.js backend could be initialised');
}

/** The backend chosen by the last initBackend call, if any. */
export function currentBackend(): BackendInfo | undefined {
  return current;
}
