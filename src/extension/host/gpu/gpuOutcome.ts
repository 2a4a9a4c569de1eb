/**
 * What "Enable GPU Backend" tells the user once the host restarted with a tfjs-node folder:
 * built from the host's own `host/info` answer, so the message names what is really missing.
 */
import type { BackendPreference, HostInfo } from '../../../protocol/host';

export interface GpuOutcome {
  /** True when the host now computes with the tensorflow backend. */
  readonly ok: boolean;
  readonly message: string;
}

/**
 * `nativeProblem`: what the extension saw missing in the folder beforehand (tfjsNodeInstall.ts),
 * added when the host could not load the package, since it is the likelier cause.
 */
export function gpuOutcome(info: HostInfo, folder: string, backendSetting: BackendPreference, nativeProblem?: string): GpuOutcome {
  const b = info.backend;
  if (b.name === 'tensorflow') return { ok: true, message: `Linear Lens now computes on ${b.device} (TensorFlow.js for Node from ${folder}).` };
  if (backendSetting === 'wasm' || backendSetting === 'cpu') {
    return {
      ok: false,
      message: `The GPU backend is set up (${folder}), but linearLens.backend is "${backendSetting}", so the compute host does not try it and runs on ${b.device}. Set linearLens.backend to "auto" to use it.`,
    };
  }
  const reason = b.notUsed.find((n) => n.backend === 'tensorflow')?.reason ?? 'the host gave no reason';
  // libtensorflow's GPU build links against these exact CUDA versions; say so when the loader failed on a library.
  const cuda = /CUDA|cuDNN/.test(reason) ? '' : /\.so|\.dll|shared object|cannot open|libtensorflow/i.test(reason) ? ' @tensorflow/tfjs-node-gpu needs an NVIDIA driver with the CUDA 11.2 and cuDNN 8.1 libraries on the library path.' : '';
  const native = nativeProblem ? ` In that folder ${nativeProblem}; install the package again where libtensorflow can be downloaded.` : '';
  return { ok: false, message: `The compute host still runs on ${b.device}: the GPU backend from ${folder} did not load: ${reason}.${cuda}${native}` };
}
