/**
 * Building DOM without innerHTML: everything the pages show comes from model files and the
 * extension, so text goes in as text, never as markup.
 */
export type Child = Node | string | null | undefined | false;

export interface Props {
  readonly class?: string;
  readonly title?: string;
  readonly role?: string;
  readonly hidden?: boolean;
  /** data-* attributes, without the prefix. */
  readonly data?: Readonly<Record<string, string>>;
  /** Other attributes (aria-*, scope, ...). */
  readonly attrs?: Readonly<Record<string, string>>;
  readonly onClick?: (e: MouseEvent) => void;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props, ...children: Child[]): HTMLElementTagNameMap[K];
export function h(tag: string, props?: Props, ...children: Child[]): HTMLElement;
export function h(tag: string, props: Props = {}, ...children: Child[]): HTMLElement {
  const e = document.createElement(tag);
  if (props.class) e.className = props.class;
  if (props.title) e.title = props.title;
  if (props.role) e.setAttribute('role', props.role);
  if (props.hidden) e.hidden = true;
  for (const [k, v] of Object.entries(props.data ?? {})) e.dataset[k] = v;
  for (const [k, v] of Object.entries(props.attrs ?? {})) e.setAttribute(k, v);
  if (props.onClick) e.addEventListener('click', props.onClick);
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

/** A table with a header row; the first cell of each row is its header. */
export function table(caption: string, header: readonly string[], rows: readonly (readonly string[])[], numeric: ReadonlySet<number> = new Set()): HTMLTableElement {
  const t = h('table', { class: 'll-table' });
  t.append(h('caption', { class: 'll-sr-only' }, caption));
  const head = t.createTHead().insertRow();
  header.forEach((text, i) => head.append(h('th', { attrs: { scope: 'col' }, class: numeric.has(i) ? 'll-num' : '' }, text)));
  const body = t.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    r.forEach((text, i) => tr.append(h(i === 0 ? 'th' : 'td', { ...(i === 0 ? { attrs: { scope: 'row' } } : {}), class: numeric.has(i) ? 'll-num' : '' }, text)));
  }
  return t;
}
