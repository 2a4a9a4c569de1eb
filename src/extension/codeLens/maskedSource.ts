/**
 * Source text with its comments and string literals blanked out, so that the definition finders
 * can run plain regular expressions over code without matching `nn.Module` in a docstring or
 * `tf.sequential(` in a comment. Pure: no `vscode` import, so the finders are unit-testable.
 */

/** A string literal of the original text: [start, end) covers the quotes and any prefix. */
export interface StringSpan {
  readonly start: number;
  readonly end: number;
  /** The characters between the quotes, as written (escapes are not interpreted). */
  readonly body: string;
}

export interface MaskedSource {
  /**
   * Same length as the original and with the same line breaks; comments and string contents are
   * spaces, so offsets and line numbers carry over unchanged.
   */
  readonly code: string;
  /**
   * Per physical line: true when the line starts inside a bracket, a multi-line string or after a
   * backslash continuation, i.e. it does not begin a statement of its own.
   */
  readonly continued: readonly boolean[];
  readonly strings: readonly StringSpan[];
}

/** Offsets of the start of each line, for offset -> line lookups. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }

  get lineCount(): number {
    return this.starts.length;
  }

  lineStart(line: number): number {
    return this.starts[line] ?? Infinity;
  }

  /** The 0-based line holding `offset`. */
  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/**
 * Builds a MaskedSource while a scanner walks the text: `keep` copies code, `blank` writes spaces
 * (newlines survive), and `newline` records whether the next line continues a statement.
 */
export class MaskWriter {
  private readonly out: string[] = [];
  private readonly continuedLines: boolean[] = [false];
  readonly strings: StringSpan[] = [];

  constructor(private readonly text: string) {}

  keep(from: number, to: number): void {
    this.out.push(this.text.slice(from, to));
  }

  blank(from: number, to: number): void {
    const part = this.text.slice(from, to);
    this.out.push(part.replace(/[^\n]/g, ' '));
  }

  /** Called for every line break consumed, with whether the following line is a continuation. */
  lineBreak(continued: boolean): void {
    this.continuedLines.push(continued);
  }

  /** Records a literal and writes it with its prefix and quotes kept and its contents blanked. */
  string(start: number, bodyStart: number, bodyEnd: number, end: number): void {
    this.strings.push({ start, end, body: this.text.slice(bodyStart, bodyEnd) });
    this.keep(start, bodyStart);
    this.blank(bodyStart, bodyEnd);
    this.keep(bodyEnd, end);
  }

  /**
   * The last non-blank character written, and the word it ends when it ends one: enough to tell
   * whether a `/` can start a regular expression here.
   */
  lastToken(): { char: string; word: string } | undefined {
    let word = '';
    for (let p = this.out.length - 1; p >= 0; p--) {
      const part = this.out[p]!;
      for (let k = part.length - 1; k >= 0; k--) {
        const c = part[k]!;
        if (word === '' && /\s/.test(c)) continue;
        if (/[\w$]/.test(c)) { word = c + word; continue; }
        return word === '' ? { char: c, word } : { char: word[word.length - 1]!, word };
      }
    }
    return word === '' ? undefined : { char: word[word.length - 1]!, word };
  }

  finish(): MaskedSource {
    const code = this.out.join('');
    return { code, continued: this.continuedLines, strings: this.strings };
  }
}
