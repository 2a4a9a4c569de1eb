/**
 * The WebAssembly kernels of linalg (wasm/lap.c, wasm/permuted.c; built by wasm/build.sh into
 * wasmBinary.ts), compiled once per thread on first use. Each instance has its own memory.
 */
import { compileEmbeddedWasm } from '../wasm';
import { LINALG_WASM_BASE64 } from './wasmBinary';

let compiled: WebAssembly.Module | null | undefined;

/** The compiled module, or null where WebAssembly (with SIMD) is not available. */
export function linalgWasmModule(): WebAssembly.Module | null {
  if (compiled === undefined) compiled = compileEmbeddedWasm(LINALG_WASM_BASE64);
  return compiled;
}

/** A fresh instance (its own memory), or null where the module is not available. */
export function linalgWasmInstance<T>(): (T & { readonly memory: WebAssembly.Memory }) | null {
  const m = linalgWasmModule();
  if (!m) return null;
  try {
    return new WebAssembly.Instance(m, {}).exports as unknown as T & { readonly memory: WebAssembly.Memory };
  } catch {
    return null;
  }
}
