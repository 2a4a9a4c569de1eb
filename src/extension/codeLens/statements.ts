/**
 * Logical lines of masked source (a statement with its bracketed and continued lines joined) and
 * bracket matching: the shared vocabulary of the definition finders.
 */
import { LineIndex, MaskedSource } from './maskedSource';

export interface LogicalLine {
  /** Physical lines, 0-based, inclusive. */
  readonly startLine: number;
  readonly endLine: number;
  /** Offsets in the masked code: [start, end) spans the whole logical line. */
  readonly start: number;
  readonly end: number;
  /** Leading whitespace width of the first physical line, tabs counted to the next multiple of 8. */
  readonly indent: number;
  /** True when nothing but blanks (comments and whitespace) is in it. */
  readonly blank: boolean;
}

function indentWidth(line: string): number {
  let w = 0;
  for (const c of line) {
    if (c === ' ') w++;
    else if (c === '\t') w = (Math.floor(w / 8) + 1) * 8;
    else if (c === '\f') w = 0;
    else break;
  }
  return w;
}

export function logicalLines(src: MaskedSource, index: LineIndex): LogicalLine[] {
  const out: LogicalLine[] = [];
  const count = index.lineCount;
  let l = 0;
  while (l < count) {
    const startLine = l;
    while (l + 1 < count && src.continued[l + 1]) l++;
    const start = index.lineStart(startLine);
    const end = Math.min(src.code.length, index.lineStart(l + 1));
    const firstLineEnd = Math.min(src.code.length, index.lineStart(startLine + 1));
    const text = src.code.slice(start, end);
    out.push({
      startLine, endLine: l, start, end,
      indent: indentWidth(src.code.slice(start, firstLineEnd)),
      blank: text.trim() === '',
    });
    l++;
  }
  return out;
}

/** The offset of the bracket closing the one at `open` in masked code, or -1 when unbalanced. */
export function matchingBracket(code: string, open: number): number {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    const c = code[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Splits `text` at commas outside brackets. */
export function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(text.slice(from));
  return parts;
}
