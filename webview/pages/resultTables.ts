/**
 * A panel's result tables (RenderMessage.tables) under its figures, each with CSV and JSON export
 * through the same path as figures (the extension's save dialog).
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { JsonValue, TableSpec } from '../../src/protocol/webview';
import { csvLines } from '../components/figure';
import { formatValue } from '../components/ticks';
import { fileNameFor, saveFile } from '../lib/export';
import type { Messaging } from '../lib/messaging';
import { h } from './dom';

function cellText(v: string | number | null): string {
  return v === null ? '–' : typeof v === 'number' ? formatValue(v) : v;
}

function tableJson(spec: TableSpec): JsonValue {
  return { title: spec.title, columns: [...spec.columns], rows: spec.rows.map((r) => [...r]) };
}

export class ResultTables {
  readonly element: HTMLElement;

  constructor(private readonly messaging: Messaging, private readonly onError: (message: string) => void) {
    this.element = h('div', { class: 'll-tables' });
  }

  render(tables: readonly TableSpec[]): void {
    this.element.replaceChildren(...tables.map((t) => this.section(t)));
  }

  private section(spec: TableSpec): HTMLElement {
    const exportAs = (format: 'csv' | 'json'): void => {
      const data = format === 'csv'
        ? csvLines(spec.columns, spec.rows)
        : JSON.stringify(tableJson(spec), null, 2) + '\n';
      saveFile(this.messaging, { fileName: fileNameFor(spec.title, format), format, data }, spec.id)
        .catch((e: unknown) => this.onError(`Could not export '${spec.title}': ${e instanceof Error ? e.message : String(e)}`));
    };
    const toolbar = h('div', { class: 'll-toolbar', role: 'toolbar', attrs: { 'aria-label': `Export ${spec.title}` } },
      ...(['csv', 'json'] as const).map((format) => {
        const b = h('vscode-button', { data: { export: format }, title: `Save the table as ${format.toUpperCase()}` }, format.toUpperCase());
        b.setAttribute('secondary', '');
        b.addEventListener('click', () => exportAs(format));
        return b;
      }));
    const table = h('table', { class: 'll-table' });
    table.append(h('caption', { class: 'll-sr-only' }, spec.title));
    const head = table.createTHead().insertRow();
    spec.columns.forEach((c, i) => head.append(h('th', { attrs: { scope: 'col' }, class: i > 0 ? 'll-num' : '' }, c)));
    const body = table.createTBody();
    for (const row of spec.rows) {
      const tr = body.insertRow();
      row.forEach((v, i) => tr.append(h(i === 0 ? 'th' : 'td', { class: typeof v === 'number' ? 'll-num' : '', ...(i === 0 ? { attrs: { scope: 'row' } } : {}) }, cellText(v))));
    }
    return h('figure', { class: 'll-figure ll-table-figure', data: { tableId: spec.id } },
      h('div', { class: 'll-figure-head' }, h('figcaption', {}, spec.title), toolbar),
      h('div', { class: 'll-scroll' }, table));
  }
}
