/**
 * A tokenizer-lite for JavaScript and TypeScript: blanks `//` and `/* *\/` comments, quoted
 * strings, the literal parts of template strings (the code in `${...}` stays visible) and regular
 * expression literals. A `/` starts a regular expression where an operand is expected, the usual
 * heuristic of syntax highlighters. Unterminated quoted strings end at the line break, so an
 * apostrophe in JSX text masks one line, not the rest of the file.
 */
import { MaskedSource, MaskWriter } from './maskedSource';

/** Keywords after which a `/` begins a regular expression rather than a division. */
const OPERAND_KEYWORDS = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw',
  'case', 'do', 'else', 'yield', 'await']);

function regexAllowed(w: MaskWriter): boolean {
  const last = w.lastToken();
  if (!last) return true;
  if (last.word !== '') return OPERAND_KEYWORDS.has(last.word);
  return !/[)\]}'"`]/.test(last.char);
}

export function maskScript(text: string): MaskedSource {
  const w = new MaskWriter(text);
  const n = text.length;
  // One entry per open template expression `${`: how many `{` are open inside it.
  const templates: number[] = [];
  let depth = 0;
  let i = 0;
  let codeFrom = 0;

  /** Writes the literal part of a template that starts at `from` and moves past its "`" or "${". */
  const templatePart = (from: number): void => {
    let j = from;
    let close = 0;
    while (j < n) {
      const d = text[j]!;
      if (d === '\\') { if (text[j + 1] === '\n') w.lineBreak(true); j += 2; continue; }
      if (d === '`') { close = 1; break; }
      if (d === '$' && text[j + 1] === '{') { close = 2; templates.push(0); break; }
      if (d === '\n') w.lineBreak(true);
      j++;
    }
    j = Math.min(j, n);
    w.string(from, from, j, j + close);
    i = codeFrom = j + close;
  };

  while (i < n) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      w.keep(codeFrom, i);
      let j = i;
      while (j < n && text[j] !== '\n') j++;
      w.blank(i, j);
      i = codeFrom = j;
      continue;
    }
    if (c === '/' && next === '*') {
      w.keep(codeFrom, i);
      const close = text.indexOf('*/', i + 2);
      const j = close < 0 ? n : close + 2;
      for (let k = i; k < j; k++) if (text[k] === '\n') w.lineBreak(true);
      w.blank(i, j);
      i = codeFrom = j;
      continue;
    }
    if (c === '/') {
      w.keep(codeFrom, i);
      codeFrom = i;
      if (regexAllowed(w)) {
        let j = i + 1;
        let inClass = false;
        while (j < n && text[j] !== '\n') {
          const d = text[j]!;
          if (d === '\\') { j += 2; continue; }
          if (d === '[') inClass = true;
          else if (d === ']') inClass = false;
          else if (d === '/' && !inClass) break;
          j++;
        }
        if (j < n && text[j] === '/') {
          const closing = j;
          j++;
          while (j < n && /[a-z]/i.test(text[j]!)) j++;   // flags
          // Kept as `/   /flags`: an operand, so a `/` right after it divides.
          w.string(i, i + 1, closing, j);
          i = codeFrom = j;
          continue;
        }
      }
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      w.keep(codeFrom, i);
      let j = i + 1;
      let bodyEnd = -1;
      while (j < n) {
        const d = text[j]!;
        if (d === '\\') { if (text[j + 1] === '\n') w.lineBreak(true); j += 2; continue; }
        if (d === '\n') break;
        if (d === c) { bodyEnd = j; j++; break; }
        j++;
      }
      j = Math.min(j, n);
      if (bodyEnd < 0) bodyEnd = j;
      w.string(i, i + 1, bodyEnd, j);
      i = codeFrom = j;
      continue;
    }
    if (c === '`') {
      w.keep(codeFrom, i + 1);
      templatePart(i + 1);
      continue;
    }
    if (c === '{') {
      if (templates.length > 0) templates[templates.length - 1]!++;
      depth++;
    } else if (c === '}') {
      if (templates.length > 0 && templates[templates.length - 1] === 0) {
        // The end of a `${...}`: back in the template's literal part.
        templates.pop();
        w.keep(codeFrom, i + 1);
        templatePart(i + 1);
        continue;
      }
      if (templates.length > 0) templates[templates.length - 1]!--;
      depth = Math.max(0, depth - 1);
    } else if (c === '(' || c === '[') {
      depth++;
    } else if (c === ')' || c === ']') {
      depth = Math.max(0, depth - 1);
    } else if (c === '\n') {
      // A line inside brackets does not start a statement of its own.
      w.lineBreak(depth > 0);
    }
    i++;
  }
  w.keep(codeFrom, n);
  return w.finish();
}
