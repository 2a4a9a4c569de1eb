/**
 * The NVIDIA GPU's name, for the status bar when the host computes on CUDA. libtensorflow does not
 * tell the host which device it picked, so nvidia-smi (installed with every CUDA driver) is asked
 * once; no name is fine, the item then says "tensorflow (GPU)".
 */
import { execFile } from 'node:child_process';

/** The first GPU's name from `nvidia-smi -L` output ("GPU 0: NVIDIA H100 80GB HBM3 (UUID: …)"). */
export function parseNvidiaSmiList(out: string): string | undefined {
  const m = /^GPU \d+: (.+?)(?: \(UUID: [^)]*\))?\s*$/m.exec(out);
  return m?.[1]?.trim() || undefined;
}

/** Asks nvidia-smi for the first GPU's name; undefined when it is missing or says nothing useful. */
export function queryGpuName(timeoutMs = 3000): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', ['-L'], { timeout: timeoutMs, windowsHide: true }, (err, stdout) => resolve(err ? undefined : parseNvidiaSmiList(String(stdout))));
  });
}
