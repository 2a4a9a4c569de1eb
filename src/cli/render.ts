import type { HostInfo } from '../protocol/host';
import type { ModelSummary } from '../protocol/model';
import { fields, formatBytes, formatCount, formatShape, table } from './format';

/** The human-readable report of `linear-lens info`. */
export function renderSummary(s: ModelSummary): string {
  const ports = (ps: ModelSummary['inputs']) => table(ps.map((p) => [p.name, formatShape(p.shape), p.layout])).join('\n');
  const head = fields([
    ['File', s.file],
    ['Format', s.format],
    ['Producer', s.producer.name + (s.producer.version && !s.producer.name.includes(s.producer.version) ? ` ${s.producer.version}` : '')],
    ['Name', s.name || '(unnamed)'],
    ['Inputs', ports(s.inputs)],
    ['Outputs', ports(s.outputs)],
  ]);
  const rows = s.layers.map((l) => [l.name, l.type, formatShape([null, ...l.outputShape]), formatCount(l.params)]);
  const layerTable = table([['Layer', 'Type', 'Output shape', 'Params'], ...rows], ['left', 'left', 'left', 'right']);
  const extra = s.graphParamCount !== s.paramCount ? ` (${formatCount(s.graphParamCount)} used by the graph)` : '';
  const lines = [...head, '', ...layerTable, '', `Parameters: ${formatCount(s.paramCount)}${extra}`];
  if ([...s.inputs, ...s.outputs].some((p) => p.layout === 'nchw')) {
    lines.push('Layer shapes are in the internal channels-last (NHWC) layout; inputs and outputs keep the model\'s own.');
  }
  for (const w of s.warnings) lines.push(`Warning: ${w}`);
  return lines.join('\n') + '\n';
}

/** The human-readable report of `linear-lens host-info`. */
export function renderHostInfo(h: HostInfo): string {
  const notUsed = h.backend.notUsed.map((n) => `${n.backend}: ${n.reason}`);
  return (
    fields([
      ['Backend', `${h.backend.name}: ${h.backend.device}`],
      ...(notUsed.length > 0 ? [['Not used', notUsed.join('\n')] as const] : []),
      ['Versions', `linear-lens ${h.versions.linearLens}, TensorFlow.js ${h.versions.tfjs}, Node.js ${h.versions.node}`],
      ['Memory', `rss ${formatBytes(h.memory.rss)}, heap ${formatBytes(h.memory.heapUsed)}, tensors ${h.memory.tfTensors} (${formatBytes(h.memory.tfBytes)})`],
      ['PID', String(h.pid)],
    ]).join('\n') + '\n'
  );
}
