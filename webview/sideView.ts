/**
 * The Linear Lens side view page: model files, the compute host, running jobs and recent results,
 * in collapsible sections. Draws what the extension sends (src/protocol/sideView.ts); the sections
 * are built once, so their open/closed state survives updates.
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import {
  isSideViewUpdate, type SideViewHost, type SideViewJob, type SideViewModel, type SideViewRecent,
  type SideViewRequest, type SideViewUpdate,
} from '../src/protocol/sideView';
import { connectPage } from './pages/channel';
import { h } from './pages/dom';
import { formatAgo, formatBytes } from './pages/format';
import './pages/sideView.css';

interface Section {
  readonly element: HTMLElement;
  readonly body: HTMLElement;
  readonly badge: HTMLElement;
}

const root = document.getElementById('app') ?? document.body;

function section(id: string, heading: string, actions: HTMLElement[] = []): Section {
  const element = h('vscode-collapsible', { data: { section: id } });
  element.setAttribute('heading', heading);
  element.setAttribute('open', '');
  const badge = h('vscode-badge', { hidden: true });
  badge.setAttribute('slot', 'decorations');
  badge.setAttribute('variant', 'counter');
  for (const a of actions) a.setAttribute('slot', 'actions');
  const body = h('div', { class: 'sv-body' });
  element.append(badge, ...actions, body);
  return { element, body, badge };
}

function actionIcon(name: string, label: string, request: SideViewRequest): HTMLElement {
  const icon = h('vscode-icon', { title: label, data: { action: request.type.replace('sideView/', '') } });
  icon.setAttribute('name', name);
  icon.setAttribute('label', label);
  icon.setAttribute('action-icon', '');
  icon.addEventListener('click', (e) => {
    // The click would also toggle the collapsible whose header holds the icon.
    e.stopPropagation();
    channel.post(request);
  });
  return icon;
}

function icon(name: string): HTMLElement {
  const i = h('vscode-icon', { attrs: { 'aria-hidden': 'true' } });
  i.setAttribute('name', name);
  return i;
}

function empty(text: string): HTMLElement {
  return h('p', { class: 'sv-empty' }, text);
}

function setCount(s: Section, n: number | undefined): void {
  s.badge.hidden = !n;
  s.badge.textContent = n ? String(n) : '';
}

const sections = {
  models: section('models', 'Models'),
  host: section('host', 'Compute host', [
    actionIcon('refresh', 'Refresh (starts the host)', { type: 'sideView/refreshHost' }),
    actionIcon('debug-restart', 'Restart Compute Host', { type: 'sideView/restartHost' }),
    actionIcon('output', 'Show Compute Host Log', { type: 'sideView/showLog' }),
  ]),
  jobs: section('jobs', 'Jobs'),
  recent: section('recent', 'Recent results'),
};
root.replaceChildren(...Object.values(sections).map((s) => s.element));

function drawModels(models: readonly SideViewModel[] | undefined): void {
  setCount(sections.models, models?.length);
  if (!models) {
    sections.models.body.replaceChildren(empty('Looking for model files…'));
    return;
  }
  if (!models.length) {
    sections.models.body.replaceChildren(empty('No model files (.onnx, .keras, .h5, model.json) in this workspace.'));
    return;
  }
  sections.models.body.replaceChildren(h('ul', { class: 'sv-list', attrs: { 'aria-label': 'Model files' } }, ...models.map((m) => {
    const folder = m.path.includes('/') ? m.path.slice(0, m.path.lastIndexOf('/')) : '';
    return h('li', {}, h('button', {
      class: 'sv-row', title: `Open the overview of ${m.path}`, data: { uri: m.uri, path: m.path },
      onClick: () => channel.post({ type: 'sideView/openModel', uri: m.uri }),
    }, icon('file'), h('span', { class: 'sv-name' }, m.name), folder ? h('span', { class: 'sv-desc' }, folder) : null));
  })));
}

const STATUS_TEXT: Record<string, string> = {
  stopped: 'Stopped (starts when needed)',
  starting: 'Starting…',
  running: 'Running',
  restarting: 'Restarting…',
  failed: 'Stopped after failures',
};

function drawHost(host: SideViewHost | undefined): void {
  if (!host) {
    sections.host.body.replaceChildren(empty('…'));
    return;
  }
  const lines: HTMLElement[] = [
    h('div', { class: 'sv-host-status', data: { status: host.status } },
      h('span', { class: 'sv-dot', attrs: { 'aria-hidden': 'true' } }),
      h('span', { class: 'sv-status-text' }, STATUS_TEXT[host.status] ?? host.status)),
  ];
  if (host.device) lines.push(h('div', { class: 'sv-host-device' }, `Backend: ${host.device}`));
  if (host.rss !== undefined) {
    const tensors = host.tfTensors !== undefined ? `, ${host.tfTensors} tensors (${formatBytes(host.tfBytes ?? 0)})` : '';
    lines.push(h('div', { class: 'sv-host-memory' }, `Memory: ${formatBytes(host.rss)}${tensors}`));
  }
  if (host.pid !== undefined) lines.push(h('div', { class: 'sv-desc' }, `Process ${host.pid}`));
  lines.push(h('div', { class: host.restarts ? 'sv-host-restarts sv-warn' : 'sv-host-restarts sv-desc' },
    host.restarts ? `Restarted after ${host.restarts} crash${host.restarts === 1 ? '' : 'es'} in the last minutes` : 'No crashes'));
  if (host.reason) lines.push(h('div', { class: 'sv-host-reason sv-warn' }, host.reason));
  sections.host.body.replaceChildren(...lines);
}

/** One job's row; kept across updates (only its numbers change), so its Cancel button stays put under the pointer. */
interface JobRow {
  readonly element: HTMLElement;
  readonly bar: HTMLElement;
  readonly status: HTMLElement;
}

const jobRows = new Map<string, JobRow>();

function jobRow(j: SideViewJob): JobRow {
  const bar = h('vscode-progress-bar');
  bar.setAttribute('max', '100');
  const cancel = h('vscode-button', { data: { action: 'cancel', job: j.id }, title: `Cancel ${j.title}` }, 'Cancel');
  cancel.setAttribute('secondary', '');
  cancel.addEventListener('click', () => {
    cancel.setAttribute('disabled', '');
    channel.post({ type: 'sideView/cancelJob', jobId: j.id });
  });
  const status = h('div', { class: 'sv-desc' });
  const element = h('li', { class: 'sv-job', data: { job: j.id } },
    h('div', { class: 'sv-job-head' }, h('span', { class: 'sv-name', title: j.title }, j.title), cancel), bar, status);
  return { element, bar, status };
}

function updateJobRow(row: JobRow, j: SideViewJob): void {
  const pct = Math.round(j.fraction * 100);
  row.bar.setAttribute('aria-label', `${j.title}: ${pct}%`);
  // No progress reported yet: a moving bar says it is alive, an empty one would look stuck.
  if (j.fraction > 0) {
    row.bar.removeAttribute('indeterminate');
    row.bar.setAttribute('value', String(Math.round(j.fraction * 1000) / 10));
  } else {
    row.bar.setAttribute('indeterminate', '');
  }
  row.status.textContent = `${pct}%${j.message ? ` · ${j.message}` : ''}`;
}

function drawJobs(jobs: readonly SideViewJob[]): void {
  setCount(sections.jobs, jobs.length);
  for (const id of [...jobRows.keys()]) if (!jobs.some((j) => j.id === id)) jobRows.delete(id);
  if (!jobs.length) {
    sections.jobs.body.replaceChildren(empty('No jobs running.'));
    return;
  }
  const rows = jobs.map((j) => {
    let row = jobRows.get(j.id);
    if (!row) jobRows.set(j.id, (row = jobRow(j)));
    updateJobRow(row, j);
    return row.element;
  });
  let list = sections.jobs.body.querySelector<HTMLUListElement>('ul.sv-list');
  if (!list) {
    list = h('ul', { class: 'sv-list', attrs: { 'aria-label': 'Running jobs' } });
    sections.jobs.body.replaceChildren(list);
  }
  // Moves only what changed: rows that stay are not re-inserted.
  rows.forEach((el, i) => {
    if (list.children[i] !== el) list.insertBefore(el, list.children[i] ?? null);
  });
  while (list.children.length > rows.length) list.lastElementChild?.remove();
}

function drawRecent(recent: readonly SideViewRecent[]): void {
  setCount(sections.recent, recent.length);
  if (!recent.length) {
    sections.recent.body.replaceChildren(empty('Results you compute show here; they open again from the cache.'));
    return;
  }
  sections.recent.body.replaceChildren(h('ul', { class: 'sv-list', attrs: { 'aria-label': 'Recent results' } }, ...recent.map((r) => {
    const models = r.models.map((m) => m.split(/[\\/]/).slice(-2).join('/')).join(', ');
    const picture = r.thumbnail
      ? Object.assign(h('img', { class: 'sv-thumb', attrs: { alt: '' } }), { src: r.thumbnail })
      : h('div', { class: 'sv-thumb sv-thumb-empty' }, icon('graph'));
    return h('li', {}, h('button', {
      class: 'sv-row sv-recent', title: `Open ${r.title}`, data: { key: r.key },
      onClick: () => channel.post({ type: 'sideView/openResult', key: r.key }),
    }, picture, h('span', { class: 'sv-recent-text' },
      h('span', { class: 'sv-name' }, r.title),
      h('span', { class: 'sv-desc' }, models),
      h('span', { class: 'sv-desc' }, formatAgo(r.finished)))));
  })));
}

const current: { models?: readonly SideViewModel[]; host?: SideViewHost; jobs: readonly SideViewJob[]; recent: readonly SideViewRecent[] } = { jobs: [], recent: [] };

function apply(u: SideViewUpdate): void {
  if ('models' in u) drawModels((current.models = u.models));
  if (u.host) drawHost((current.host = u.host));
  if (u.jobs) drawJobs((current.jobs = u.jobs));
  if (u.recent) drawRecent((current.recent = u.recent));
  root.setAttribute('aria-busy', 'false');
}

drawModels(undefined);
drawHost(undefined);
drawJobs([]);
drawRecent([]);
// "3 min ago" ages while the view is open.
setInterval(() => drawRecent(current.recent), 60_000);

const channel = connectPage<SideViewUpdate, SideViewRequest>(isSideViewUpdate, apply);
