/**
 * The embedded WebAssembly modules of core (linalg/wasmBinary.ts, analyses/interpreter/
 * loopsBinary.ts) are compiled here, synchronously: each is a few kilobytes, and their users are
 * synchronous. Fine in Node, where core runs (a browser's main thread refuses a synchronous
 * compile above 4 kB).
 */

/** The module of `base64`, or null where WebAssembly (with SIMD) is not available. */
export function compileEmbeddedWasm(base64: string): WebAssembly.Module | null {
  try {
    const bytes = typeof Buffer !== 'undefined' ? Buffer.from(base64, 'base64') : Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
    return new WebAssembly.Module(bytes);
  } catch {
    return null;
  }
}
