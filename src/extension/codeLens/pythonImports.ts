/**
 * What the names of a Python file stand for, from its import statements, and which of them are
 * the model APIs the code lenses care about. `import torch.nn as nn` makes `nn.Module` mean
 * `torch.nn.Module`; `from keras.models import Sequential` makes a bare `Sequential(` a Keras one.
 */
import { LogicalLine } from './statements';

export type ModelApi = 'torch-module' | 'torch-sequential' | 'keras-model' | 'keras-sequential';

/**
 * The conventional aliases, honoured when the file does not import the name itself: a notebook
 * cell or a snippet often uses `nn` or `tf` imported elsewhere. Bare `Module`, `Model` or
 * `Sequential` are too common to assume; they need an import.
 */
const CONVENTIONAL: ReadonlyMap<string, string> = new Map([
  ['nn', 'torch.nn'],
  ['tf', 'tensorflow'],
  ['pl', 'pytorch_lightning'],
  ['L', 'lightning'],
]);

export class PythonBindings {
  private readonly names = new Map<string, string>();
  private readonly stars: string[] = [];

  /** Reads the import statements among `lines` of masked `code`. */
  addImports(code: string, lines: readonly LogicalLine[]): void {
    for (const line of lines) {
      if (line.blank) continue;
      const head = code.slice(line.start, Math.min(line.end, line.start + 200));
      if (!/\b(?:import|from)\b/.test(head)) continue;
      const text = code.slice(line.start, line.end).replace(/\\\n/g, ' ').replace(/\s+/g, ' ');
      for (const stmt of text.split(';')) this.addStatement(stmt.trim());
    }
  }

  private addStatement(stmt: string): void {
    let m = /^import (.+)$/.exec(stmt);
    if (m) {
      for (const item of m[1]!.split(',')) {
        const im = /^\s*([\w.]+?)\s*(?:\bas\s+(\w+))?\s*$/.exec(item.replace(/\s*\.\s*/g, '.'));
        if (!im) continue;
        const path = im[1]!;
        if (im[2]) this.names.set(im[2], path);
        else this.names.set(path.split('.')[0]!, path.split('.')[0]!);   // `import a.b` binds `a`
      }
      return;
    }
    m = /^from ([\w.]+) import (.+)$/.exec(stmt.replace(/\s*\.\s*/g, '.'));
    if (m) {
      const module = m[1]!;
      if (module.startsWith('.')) return;                               // relative: the user's own code
      const list = m[2]!.replace(/[()]/g, ' ').trim();
      if (list === '*') {
        this.stars.push(module);
        return;
      }
      for (const item of list.split(',')) {
        const im = /^\s*(\w+)\s*(?:\bas\s+(\w+))?\s*$/.exec(item);
        if (im) this.names.set(im[2] ?? im[1]!, `${module}.${im[1]}`);
      }
    }
  }

  /** The model API a dotted expression such as `nn.Module` or `tf.keras.Sequential` names, if any. */
  api(expr: string): ModelApi | undefined {
    const parts = expr.split('.');
    const head = parts[0]!;
    const rest = parts.slice(1);
    const bound = this.names.get(head);
    if (bound !== undefined) return classify([bound, ...rest].join('.'));
    if (rest.length === 0) {
      for (const star of this.stars) {
        const api = classify(`${star}.${head}`);
        if (api) return api;
      }
    }
    const conventional = CONVENTIONAL.get(head);
    return classify([conventional ?? head, ...rest].join('.'));
  }
}

/** The many spellings of Keras (`tensorflow.keras`, `tensorflow.python.keras`, `tf_keras`) as one. */
function canonical(path: string): string {
  return path.replace(/^tensorflow\.(?:python\.)?keras(?=\.|$)/, 'keras').replace(/^tf_keras(?=\.|$)/, 'keras');
}

export function classify(path: string): ModelApi | undefined {
  const parts = canonical(path).split('.');
  const last = parts[parts.length - 1];
  if (parts.length < 2) return undefined;
  if (parts[0] === 'torch' && parts[1] === 'nn') {
    if (last === 'Module') return 'torch-module';
    if (last === 'Sequential') return 'torch-sequential';
  }
  // A LightningModule is an nn.Module with its training loop attached.
  if ((parts[0] === 'pytorch_lightning' || parts[0] === 'lightning') && last === 'LightningModule') return 'torch-module';
  if (parts[0] === 'keras') {
    if (last === 'Model') return 'keras-model';
    if (last === 'Sequential') return 'keras-sequential';
  }
  return undefined;
}
