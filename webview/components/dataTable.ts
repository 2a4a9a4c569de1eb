/**
 * A figure's numbers as an HTML table inside a collapsed <details>: screen readers and keyboard
 * users get the values a canvas cannot give them. Built only when opened (and rebuilt while open
 * when the data changes), so big figures cost nothing until asked.
 */
import { formatValue } from './ticks';

export interface TableData {
  readonly caption: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly (string | number | null)[])[];
}

export interface DataTableHandle {
  readonly element: HTMLDetailsElement;
  /** Call when the figure's data changed. */
  refresh(): void;
}

export function dataTable(source: () => TableData): DataTableHandle {
  const details = document.createElement('details');
  details.className = 'll-data';
  const summary = document.createElement('summary');
  summary.textContent = 'Data table';
  details.append(summary);
  const build = (): void => {
    const data = source();
    const table = document.createElement('table');
    table.className = 'll-data-table';
    const cap = document.createElement('caption');
    cap.className = 'll-sr-only';
    cap.textContent = data.caption;
    const thead = table.createTHead().insertRow();
    for (const h of data.header) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = h;
      thead.append(th);
    }
    const body = table.createTBody();
    for (const r of data.rows) {
      const tr = body.insertRow();
      r.forEach((v, i) => {
        const cell = i === 0 ? document.createElement('th') : document.createElement('td');
        if (i === 0) (cell as HTMLTableCellElement).scope = 'row';
        cell.textContent = v === null ? '–' : typeof v === 'number' ? formatValue(v) : v;
        tr.append(cell);
      });
    }
    table.prepend(cap);
    details.querySelector('table')?.remove();
    details.append(table);
  };
  details.addEventListener('toggle', () => { if (details.open) build(); });
  return { element: details, refresh: () => { if (details.open) build(); } };
}
