/**
 * The model overview page: format, producer, inputs and outputs, parameter count, warnings, the
 * layer table, and buttons for the registered analyses and the dataset. Draws the state the
 * extension sends (src/protocol/overview.ts); keeps none of its own.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import type { ModelFormat, ModelSummary, Port } from '../src/protocol/model';
import { isOverviewStateMessage, type OverviewRequest, type OverviewState, type OverviewStateMessage } from '../src/protocol/overview';
import { connectPage } from './pages/channel';
import { h, table } from './pages/dom';
import { formatCount, formatShape } from './pages/format';
import './pages/tables.css';
import './pages/overview.css';

const FORMAT_NAMES: Record<ModelFormat, string> = {
  'tfjs-layers': 'TensorFlow.js layers model',
  'keras-v3': 'Keras 3 (.keras)',
  'keras-h5': 'Keras HDF5 (.h5)',
  onnx: 'ONNX',
};

const root = document.getElementById('app') ?? document.body;
const channel = connectPage<OverviewStateMessage, OverviewRequest>(isOverviewStateMessage, (m) => draw(m.state));

function button(label: string, action: string, onClick: () => void, opts: { secondary?: boolean; title?: string } = {}): HTMLElement {
  const b = h('vscode-button', { data: { action }, ...(opts.title ? { title: opts.title } : {}) }, label);
  if (opts.secondary) b.setAttribute('secondary', '');
  b.addEventListener('click', onClick);
  return b;
}

function producerText(s: ModelSummary): string {
  const p = s.producer;
  return p.name + (p.version && !p.name.includes(p.version) ? ` ${p.version}` : '');
}

function statusLine(state: OverviewState): HTMLElement {
  const box = h('div', { class: 'ov-status' });
  if (state.phase === 'loading') {
    const ring = h('vscode-progress-ring', { attrs: { 'aria-label': 'Reading the model' } });
    box.append(h('div', { class: 'll-busy' }, ring, h('span', { role: 'status' }, `Reading ${state.file.name}…`)));
  } else if (state.phase === 'error' && state.error) {
    const e = state.error;
    const heading = e.kind === 'user' ? 'This model cannot be shown' : e.kind === 'host' ? 'The compute host stopped' : 'Something went wrong';
    box.append(h('div', { class: 'll-error ov-error', role: 'alert' },
      h('div', { class: 'll-error-text' }, h('strong', {}, heading), h('div', { class: 'ov-error-message' }, e.message)),
      e.retry ? button('Retry', 'retry', () => channel.post({ type: 'overview/retry' })) : null,
      e.kind !== 'user' ? button('Show Log', 'showLog', () => channel.post({ type: 'overview/showLog' }), { secondary: true }) : null,
    ));
  }
  return box;
}

function facts(state: OverviewState, s: ModelSummary | undefined): HTMLElement {
  const dl = h('dl', { class: 'ov-facts' });
  const add = (term: string, ...value: (Node | string)[]): void => {
    dl.append(h('dt', {}, term), h('dd', {}, ...value));
  };
  if (s) {
    add('Format', FORMAT_NAMES[s.format] ?? s.format);
    add('Producer', producerText(s));
    if (s.name) add('Name', s.name);
    const used = s.graphParamCount !== s.paramCount ? ` (${formatCount(s.graphParamCount)} used by the graph)` : '';
    add('Parameters', h('span', { class: 'ov-params' }, `${formatCount(s.paramCount)}${used}`));
  }
  add('Dataset',
    h('span', { class: 'ov-dataset' }, state.dataset ?? 'none selected'),
    button('Select Dataset…', 'selectDataset', () => channel.post({ type: 'overview/selectDataset' }), { secondary: true }));
  return dl;
}

function ports(s: ModelSummary): HTMLElement {
  const row = (kind: string, p: Port): string[] => [p.name, kind, formatShape(p.shape), p.layout];
  return h('section', { class: 'ov-section', data: { section: 'ports' } },
    h('h2', {}, 'Inputs and outputs'),
    table('Inputs and outputs', ['Name', 'Kind', 'Shape', 'Layout'], [...s.inputs.map((p) => row('input', p)), ...s.outputs.map((p) => row('output', p))]));
}

function warnings(s: ModelSummary): HTMLElement | null {
  if (!s.warnings.length) return null;
  return h('section', { class: 'ov-section ov-warnings', data: { section: 'warnings' } },
    h('h2', {}, 'Warnings'),
    h('ul', {}, ...s.warnings.map((w) => h('li', {}, w))));
}

function analyses(state: OverviewState): HTMLElement | null {
  if (!state.analyses.length || !state.summary) return null;
  return h('section', { class: 'ov-section', data: { section: 'analyses' } },
    h('h2', {}, 'Analyses'),
    h('div', { class: 'ov-actions' }, ...state.analyses.map((a) =>
      button(`${a.title}…`, `analysis:${a.kind}`, () => channel.post({ type: 'overview/runAnalysis', kind: a.kind }), a.description ? { title: a.description } : {}))));
}

function layers(s: ModelSummary): HTMLElement {
  const rows = s.layers.map((l) => [l.name, l.type, l.ops.join(', '), formatShape([null, ...l.outputShape]), formatCount(l.params)]);
  const nchw = [...s.inputs, ...s.outputs].some((p) => p.layout === 'nchw');
  return h('section', { class: 'ov-section', data: { section: 'layers' } },
    h('h2', {}, `Layers (${s.layers.length})`),
    h('div', { class: 'll-scroll' }, table('Layers', ['Layer', 'Type', 'Ops', 'Output shape', 'Params'], rows, new Set([4]))),
    nchw ? h('p', { class: 'ov-note' }, 'Layer shapes are in the internal channels-last (NHWC) layout; inputs and outputs keep the model\'s own.') : null);
}

function draw(state: OverviewState): void {
  const s = state.summary;
  document.title = state.file.name;
  root.setAttribute('aria-busy', String(state.phase === 'loading'));
  root.dataset.phase = state.phase;
  const parts: (HTMLElement | null)[] = [
    h('header', { class: 'ov-head' },
      h('h1', {}, state.file.name),
      h('div', { class: 'ov-path' }, state.file.path)),
    statusLine(state),
    facts(state, s),
    s ? ports(s) : null,
    s ? warnings(s) : null,
    analyses(state),
    s ? layers(s) : null,
  ];
  root.replaceChildren(...parts.filter((p): p is HTMLElement => p !== null));
}
