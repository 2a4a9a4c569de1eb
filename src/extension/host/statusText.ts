/**
 * What the compute host's status bar item says: a short text with the backend, and a Markdown
 * tooltip with the details (backend, why better ones are not used, memory, jobs, pid). Pure, so
 * the unit tests check the wording for every state.
 */
import type { HostInfo } from '../../protocol/host';
import type { HostState, JobView } from '../services';

export interface StatusView {
  /** The item's text, with codicons ($(name)). */
  readonly text: string;
  /** Markdown, codicons allowed. */
  readonly tooltip: string;
  /** The command a click runs. */
  readonly command: 'linearLens.showHostInfo' | 'linearLens.restartHost';
  /** Drawn with the error background. */
  readonly error: boolean;
}

const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** Escapes Markdown so reasons and titles (with `*`, `_`, paths) show as written. */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`);
}

/**
 * The backend in a few words: "wasm (CPU)", "cpu (JavaScript)", the GPU's name when tensorflow
 * runs on one (`gpuName`, from nvidia-smi, if known), else "tensorflow (GPU)" / "tensorflow (CPU)".
 */
export function shortBackend(info: HostInfo, gpuName?: string): string {
  const b = info.backend;
  if (b.name === 'wasm') return 'wasm (CPU)';
  if (b.name === 'cpu') return 'cpu (JavaScript)';
  const onGpu = /GPU/.test(b.device);
  if (onGpu && gpuName) return gpuName;
  return `tensorflow (${onGpu ? 'GPU' : 'CPU'})`;
}

function jobLine(j: JobView): string {
  const pct = `${Math.round(j.fraction * 100)}%`;
  return `- ${escapeMarkdown(j.title)}: ${pct}${j.message ? ` (${escapeMarkdown(j.message)})` : ''}`;
}

/** The status bar item for a host state, its jobs and (when known) the GPU's name. */
export function statusView(state: HostState, jobs: readonly JobView[], gpuName?: string): StatusView {
  // Markdown blocks: paragraphs (lines joined by hard breaks) and lists, separated by blank lines.
  const blocks: string[] = ['**Linear Lens compute host**'];
  const jobsText = jobs.length > 0 ? ` · ${jobs.length} job${jobs.length > 1 ? 's' : ''}` : '';
  let text: string;
  let command: StatusView['command'] = 'linearLens.showHostInfo';
  switch (state.status) {
    case 'stopped':
      text = '$(circuit-board) Linear Lens';
      blocks.push('Not started: it starts when an analysis or a command needs it.');
      break;
    case 'starting':
      text = '$(sync~spin) Linear Lens: starting…';
      blocks.push('Starting the compute host…');
      break;
    case 'restarting':
      text = '$(sync~spin) Linear Lens: restarting…';
      blocks.push(state.recentCrashes > 0 ? `Restarting after a crash (${state.recentCrashes} in the last 3 minutes)…` : 'Restarting…');
      break;
    case 'failed':
      text = '$(error) Linear Lens: host stopped';
      command = 'linearLens.restartHost';
      blocks.push(`Stopped: ${escapeMarkdown(state.reason ?? 'the compute host failed')}`, 'Click to restart it.');
      break;
    case 'running': {
      const info = state.info;
      text = `${jobs.length > 0 ? '$(sync~spin)' : '$(circuit-board)'} Linear Lens: ${info ? shortBackend(info, gpuName) : 'running'}${jobsText}`;
      if (info) blocks.push(...infoBlocks(info, gpuName));
      if (state.recentCrashes > 0) blocks.push(`Restarted after ${state.recentCrashes} crash${state.recentCrashes > 1 ? 'es' : ''} in the last 3 minutes.`);
      break;
    }
  }
  if (jobs.length > 0) blocks.push(`Jobs (${jobs.length}):`, jobs.map(jobLine).join('\n'));
  if (command === 'linearLens.showHostInfo') blocks.push('Click for host info and the log.');
  return { text, tooltip: blocks.join('\n\n'), command, error: state.status === 'failed' };
}

function infoBlocks(info: HostInfo, gpuName?: string): string[] {
  const b = info.backend;
  const blocks = [`Backend: **${escapeMarkdown(b.device)}**${gpuName && /GPU/.test(b.device) ? ` on ${escapeMarkdown(gpuName)}` : ''} (process ${info.pid})`];
  if (b.notUsed.length > 0) blocks.push(b.notUsed.map((n) => `- ${n.backend} not used: ${escapeMarkdown(n.reason)}`).join('\n'));
  blocks.push(
    [
      `Memory: rss ${mib(info.memory.rss)}, heap ${mib(info.memory.heapUsed)}, ${info.memory.tfTensors} tensors (${mib(info.memory.tfBytes)})`,
      `Host jobs: ${info.jobs.running} running, ${info.jobs.queued} queued`,
      `TensorFlow.js ${escapeMarkdown(info.versions.tfjs)}, Node.js ${escapeMarkdown(info.versions.node)}, Linear Lens ${escapeMarkdown(info.versions.linearLens)}`,
    ].join('  \n'),
  );
  return blocks;
}
