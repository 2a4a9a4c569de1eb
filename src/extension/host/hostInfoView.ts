import type { HostInfo } from '../../protocol/host';

const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** The lines the output channel shows for `host/info`. */
export function hostInfoLines(h: HostInfo): string[] {
  return [
    `Compute host (pid ${h.pid}): ${h.backend.device}`,
    ...h.backend.notUsed.map((n) => `  ${n.backend} not used: ${n.reason}`),
    `  linear-lens ${h.versions.linearLens}, TensorFlow.js ${h.versions.tfjs}, Node.js ${h.versions.node}`,
    `  memory: rss ${mib(h.memory.rss)}, heap ${mib(h.memory.heapUsed)}, ${h.memory.tfTensors} tensors (${mib(h.memory.tfBytes)})`,
    `  jobs: ${h.jobs.running} running, ${h.jobs.queued} queued`,
  ];
}
