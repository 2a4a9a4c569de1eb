/**
 * A tokenizer-lite for Python: blanks `#` comments and string literals (any prefix, single,
 * double and triple quotes) and tracks brackets and backslash continuations, which is all the
 * definition finder needs to tell statements apart. Unterminated single-quoted strings end at the
 * line break, as Python's own error recovery would have the user see it, so one typo does not hide
 * the rest of the file.
 */
import { MaskedSource, MaskWriter } from './maskedSource';

const isIdent = (c: string | undefined): boolean => c !== undefined && /[\w]/.test(c);
const STRING_PREFIX = /^(?:[rRbBuUfF]|[rR][bBfF]|[bBfF][rR])$/;

export function maskPython(text: string): MaskedSource {
  const w = new MaskWriter(text);
  let depth = 0;
  let i = 0;
  let codeFrom = 0;
  const n = text.length;

  while (i < n) {
    const c = text[i]!;
    if (c === '#') {
      w.keep(codeFrom, i);
      let j = i;
      while (j < n && text[j] !== '\n') j++;
      w.blank(i, j);
      i = codeFrom = j;
      continue;
    }
    if (c === '"' || c === "'") {
      // A prefix is the identifier directly before the quote, when it is a legal string prefix.
      let p = i;
      while (p > codeFrom && isIdent(text[p - 1])) p--;
      const prefix = text.slice(p, i);
      const start = prefix !== '' && STRING_PREFIX.test(prefix) && !isIdent(text[p - 1]) ? p : i;
      const triple = text.startsWith(c.repeat(3), i);
      const quote = triple ? c.repeat(3) : c;
      const bodyStart = i + quote.length;
      let j = bodyStart;
      let bodyEnd = -1;
      while (j < n) {
        const d = text[j]!;
        if (d === '\\') {
          if (text[j + 1] === '\n') w.lineBreak(true);
          j += 2;
          continue;
        }
        if (d === '\n') {
          if (!triple) break;               // unterminated: ends here
          w.lineBreak(true);
        }
        if (text.startsWith(quote, j)) {
          bodyEnd = j;
          j += quote.length;
          break;
        }
        j++;
      }
      j = Math.min(j, n);
      if (bodyEnd < 0) bodyEnd = j;
      w.keep(codeFrom, start);
      w.string(start, bodyStart, bodyEnd, j);
      i = codeFrom = j;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1);
    else if (c === '\\' && (text[i + 1] === '\n' || (text[i + 1] === '\r' && text[i + 2] === '\n'))) {
      w.lineBreak(true);
      i += text[i + 1] === '\n' ? 2 : 3;
      continue;
    } else if (c === '\n') {
      w.lineBreak(depth > 0);
    }
    i++;
  }
  w.keep(codeFrom, n);
  return w.finish();
}
