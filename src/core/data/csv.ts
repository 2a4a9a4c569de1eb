import { UserError } from '../errors';
import { throwIfCancelled, type WorkContext } from '../progress';
import type { RandomAccessFile } from './file';
import type { LabelSet, SampleSource } from './types';

const SCAN_CHUNK = 1 << 20;
/** Longest line accepted (a 150 000-feature row of 8-digit numbers is about 1.4 MB): bounds time and memory on a file without line breaks. */
const MAX_LINE_BYTES = 4 << 20;
/** Rows closer than this many bytes are fetched in one read. */
const MERGE_GAP_BYTES = 64 * 1024;
/** Column names taken as the label column when the caller names none. */
const LABEL_NAMES = ['label', 'labels', 'target', 'class', 'y'];

/** True when the first bytes look like text: no NUL bytes and valid UTF-8. */
export function looksLikeText(head: Uint8Array): boolean {
  if (head.length === 0 || head.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** Growable typed array of row offsets/lengths, so a huge CSV costs 12 bytes per row. */
class Growable<T extends Float64Array | Uint32Array | Int32Array> {
  length = 0;
  constructor(private data: T) {}
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new (this.data.constructor as new (n: number) => T)(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
  at(i: number): number {
    return this.data[i];
  }
  done(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

interface Line {
  start: number;
  length: number;
  number: number;
  text: string;
}

/**
 * Opens a CSV of numeric features plus an optional label column. One pass at open validates every
 * row (cell count, numbers) and records row offsets; batches then re-read only the rows they need.
 * A header row is recognised by having more non-numeric cells than the row after it. The label
 * column is `labelColumn`, else one named label/labels/target/class/y, else the one column of
 * text labels; otherwise there are no labels.
 */
export async function openCsv(
  file: RandomAccessFile,
  labelColumn: string | number | undefined,
  ctx?: WorkContext,
): Promise<{ source: SampleSource; labels?: LabelSet }> {
  const name = file.label;
  const err = (msg: string): UserError => new UserError(`${name}: ${msg}`, file.path);
  const lines = scanLines(file, name, ctx);
  const first = (await lines.next()).value as Line | undefined;
  if (!first) throw err('the CSV file is empty.');
  const second = (await lines.next()).value as Line | undefined;
  const delim = sniffDelimiter(first.text);
  const c0 = splitRow(first.text, delim);
  const c1 = second ? splitRow(second.text, delim) : undefined;
  const hasHeader = countNonNumeric(c0) > (c1 ? countNonNumeric(c1) : 0);
  const header = hasHeader ? c0.map((c) => c.trim()) : undefined;
  const ncol = c0.length;
  const firstData = hasHeader ? c1 : c0;
  const labelAt = resolveLabelColumn(labelColumn, header, ncol, err) ?? soleTextColumn(firstData);
  const nFeatures = labelAt === undefined ? ncol : ncol - 1;
  if (nFeatures === 0) throw err('the CSV has no feature columns besides the label column.');

  const starts = new Growable(new Float64Array(1024));
  const lengths = new Growable(new Uint32Array(1024));
  const labelIds = new Growable(new Int32Array(1024));
  const labelNames = new Map<string, number>();
  const colName = (c: number): string => (header ? `'${header[c]}'` : `${c + 1}`);

  const take = (line: Line, cells: string[]): void => {
    if (cells.length !== ncol) {
      throw err(
        `line ${line.number} has ${cells.length} cell${cells.length === 1 ? '' : 's'} but ${hasHeader ? 'the header' : 'line ' + first.number} has ${ncol}; every row needs the same columns. Fix or remove that row.`,
      );
    }
    for (let c = 0; c < ncol; c++) {
      if (c === labelAt) continue;
      if (Number.isNaN(parseCell(cells[c]))) {
        throw err(
          `line ${line.number}, column ${colName(c)}: ${JSON.stringify(cells[c])} is not a number. Features must be numeric${labelAt === undefined ? '; if this is the label column, name it with labelColumn' : ''}.`,
        );
      }
    }
    if (labelAt !== undefined) {
      const key = cells[labelAt].trim();
      if (key === '') throw err(`line ${line.number}: the label cell is empty.`);
      let id = labelNames.get(key);
      if (id === undefined) labelNames.set(key, (id = labelNames.size));
      labelIds.push(id);
    }
    starts.push(line.start);
    lengths.push(line.length);
  };

  if (!hasHeader) take(first, c0);
  if (second) take(second, c1 ?? []);
  for (let r = await lines.next(); !r.done; r = await lines.next()) take(r.value, splitRow(r.value.text, delim));
  const size = starts.length;
  if (size === 0) throw err('the CSV has a header but no data rows.');

  const rowStarts = starts.done();
  const rowLengths = lengths.done();
  const featureCols = Array.from({ length: ncol }, (_, c) => c).filter((c) => c !== labelAt);
  const source: SampleSource = {
    file: name,
    size,
    sampleShape: [nFeatures],
    layout: 'flat',
    defaultScale: 1,
    read: (indices) => readRows(file, rowStarts, rowLengths, indices, featureCols, delim, err),
    close: () => file.close(),
  };
  if (labelAt === undefined) return { source };
  return { source, labels: finishLabels(labelIds.done(), labelNames, file, labelAt, header) };
}

/** More distinct label strings than this means the column holds values, not classes. */
const MAX_LABEL_NAMES = 100_000;

/** Integer labels stay as they are; any other label strings become sorted class names. */
function finishLabels(
  ids: Int32Array,
  names: Map<string, number>,
  file: RandomAccessFile,
  column: number,
  header: string[] | undefined,
): LabelSet {
  const col = header ? `'${header[column]}'` : `${column + 1}`;
  const keys = [...names.keys()];
  const fractional = keys.find((k) => Number.isFinite(parseCell(k)) && !/^\+?\d+(\.0*)?$/.test(k.trim()));
  if (fractional !== undefined && keys.every((k) => !Number.isNaN(parseCell(k)))) {
    throw new UserError(
      `${file.label}: the label column ${col} holds ${fractional}, but labels must be class indices (0, 1, 2, ...) or class names. Pick the class column with labelColumn.`,
      file.path,
    );
  }
  if (keys.length > MAX_LABEL_NAMES) {
    throw new UserError(
      `${file.label}: the label column ${col} has ${keys.length} different values, too many for classes. Pick the class column with labelColumn.`,
      file.path,
    );
  }
  const numeric = keys.every((k) => /^\+?\d+(\.0*)?$/.test(k));
  const remap = new Int32Array(keys.length);
  let classNames: string[] | undefined;
  let numClasses: number;
  if (numeric) {
    keys.forEach((k, i) => (remap[i] = Number(k)));
    numClasses = Math.max(...remap) + 1;
    if (numClasses > MAX_LABEL_NAMES) {
      throw new UserError(`${file.label}: the label column ${col} holds ${numClasses - 1}, not a plausible class index. Pick the class column with labelColumn.`, file.path);
    }
  } else {
    classNames = [...keys].sort();
    const pos = new Map(classNames.map((k, i) => [k, i]));
    keys.forEach((k, i) => (remap[i] = pos.get(k) as number));
    numClasses = classNames.length;
  }
  const labels = ids.map((id) => remap[id]);
  return { file: `${file.label} (column ${col})`, labels, numClasses, classNames };
}

/** The only non-numeric column of the first data row: with nothing else said, it must be the labels. */
function soleTextColumn(cells: string[] | undefined): number | undefined {
  const text = (cells ?? []).flatMap((c, i) => (Number.isNaN(parseCell(c)) ? [i] : []));
  return text.length === 1 ? text[0] : undefined;
}

function resolveLabelColumn(
  spec: string | number | undefined,
  header: string[] | undefined,
  ncol: number,
  err: (m: string) => UserError,
): number | undefined {
  if (typeof spec === 'number') {
    const i = spec < 0 ? ncol + spec : spec;
    if (!Number.isInteger(spec) || i < 0 || i >= ncol) throw err(`labelColumn ${spec} is out of range; the CSV has ${ncol} columns.`);
    return i;
  }
  if (typeof spec === 'string') {
    if (!header) throw err(`labelColumn '${spec}' names a column, but the CSV has no header row; give the column index instead.`);
    let i = header.indexOf(spec);
    if (i < 0) i = header.findIndex((h) => h.toLowerCase() === spec.toLowerCase());
    if (i < 0) throw err(`there is no column '${spec}'; the columns are ${header.slice(0, 20).join(', ')}${header.length > 20 ? ', ...' : ''}.`);
    return i;
  }
  if (!header) return undefined;
  for (const n of LABEL_NAMES) {
    const i = header.findIndex((h) => h.toLowerCase() === n);
    if (i >= 0) return i;
  }
  return undefined;
}

async function readRows(
  file: RandomAccessFile,
  starts: Float64Array,
  lengths: Uint32Array,
  indices: readonly number[],
  featureCols: number[],
  delim: string,
  err: (m: string) => UserError,
): Promise<Float32Array> {
  const nf = featureCols.length;
  const out = new Float32Array(indices.length * nf);
  const decoder = new TextDecoder('utf-8');
  let k = 0;
  while (k < indices.length) {
    let end = k + 1;
    while (
      end < indices.length &&
      starts[indices[end]] - (starts[indices[end - 1]] + lengths[indices[end - 1]]) <= MERGE_GAP_BYTES
    ) {
      end++;
    }
    const from = starts[indices[k]];
    const last = indices[end - 1];
    const bytes = await file.read(from, starts[last] + lengths[last] - from);
    for (let j = k; j < end; j++) {
      const at = starts[indices[j]] - from;
      const cells = splitRow(decoder.decode(bytes.subarray(at, at + lengths[indices[j]])), delim);
      for (let f = 0; f < nf; f++) {
        const v = parseCell(cells[featureCols[f]] ?? '');
        if (Number.isNaN(v)) throw err(`row ${indices[j]} changed since the file was opened; open the dataset again.`);
        out[j * nf + f] = v;
      }
    }
    k = end;
  }
  return out;
}

/** Yields the non-blank lines with their byte offsets; `length` excludes the line break. */
async function* scanLines(file: RandomAccessFile, name: string, ctx?: WorkContext): AsyncGenerator<Line> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let carry = new Uint8Array(0);
  let carryStart = 0;
  let lineNo = 0;
  for (let pos = 0; pos < file.size; pos += SCAN_CHUNK) {
    throwIfCancelled(ctx);
    const chunk = await file.read(pos, Math.min(SCAN_CHUNK, file.size - pos));
    const buf = carry.length ? concat(carry, chunk) : chunk;
    const bufStart = carry.length ? carryStart : pos;
    const last = pos + chunk.length >= file.size;
    let s = 0;
    for (;;) {
      let nl = buf.indexOf(0x0a, s);
      if (nl < 0) {
        if (!last || s >= buf.length) break;
        nl = buf.length; // final line without a newline
      }
      lineNo++;
      let e = nl;
      if (e > s && buf[e - 1] === 0x0d) e--;
      let text: string;
      try {
        text = decoder.decode(buf.subarray(s, e));
      } catch {
        throw new UserError(`${name}: line ${lineNo} is not UTF-8 text; save the CSV as UTF-8.`, file.path);
      }
      if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) {
        text = text.slice(1);
        s += 3;
      }
      if (text.trim() !== '') yield { start: bufStart + s, length: e - s, number: lineNo, text };
      s = nl + 1;
    }
    carry = s < buf.length ? buf.slice(s) : new Uint8Array(0);
    if (carry.length > MAX_LINE_BYTES) {
      throw new UserError(`${name}: line ${lineNo + 1} is longer than ${MAX_LINE_BYTES >> 20} MB without a line break; that is not a CSV table Linear Lens reads.`, file.path);
    }
    carryStart = bufStart + s;
    if (last) break;
    ctx?.progress?.(Math.min(1, (pos + chunk.length) / file.size), `Scanning ${name}`);
  }
}

/** The delimiter (',', ';' or tab) that occurs most often in the first row. */
function sniffDelimiter(line: string): string {
  let best = ',';
  let bestCount = 0;
  for (const d of [',', ';', '\t']) {
    const n = line.split(d).length - 1;
    if (n > bestCount) {
      best = d;
      bestCount = n;
    }
  }
  return best;
}

/** Splits one row; double-quoted cells may contain the delimiter and "" escapes (not line breaks). */
function splitRow(line: string, delim: string): string[] {
  if (!line.includes('"')) return line.split(delim);
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        cur += ch;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === delim) {
      cells.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  cells.push(cur);
  return cells;
}

/** A finite number, or NaN for anything else (empty cells included). */
function parseCell(s: string): number {
  const v = +s;
  if (!Number.isFinite(v)) return NaN;
  if (v === 0 && s.trim() === '') return NaN;
  return v;
}

function countNonNumeric(cells: string[]): number {
  return cells.reduce((n, c) => n + (Number.isNaN(parseCell(c)) ? 1 : 0), 0);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
