/**
 * Model definitions in Python: classes deriving from `nn.Module` / a LightningModule / a Keras
 * `Model` (directly, or through another such class of the same file), and assignments of
 * `keras.Sequential(...)`, `keras.Model(inputs, outputs)` and `nn.Sequential(...)` calls.
 * Assignments inside a model class are its layers, not models of their own, and are skipped.
 */
import type { DefinitionKind, ModelDefinition } from './definitions';
import { LineIndex } from './maskedSource';
import { maskPython } from './pythonSource';
import { ModelApi, PythonBindings } from './pythonImports';
import { LogicalLine, logicalLines, matchingBracket, splitTopLevel } from './statements';

const CLASS_HEADER = /^[ \t\f]*class[ \t]+([A-Za-z_]\w*)[ \t]*(\()?/;
const DOTTED = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$/;
const CALL = /(?<![\w.])([A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*)\s*\(/g;
// `target =`, `target: Annotation =`, `a = b =` (the first target names it), `target = (`.
const ASSIGNED = /^\s*((?:[A-Za-z_]\w*\s*\.\s*)*([A-Za-z_]\w*))\s*(?::[^=]*)?=\s*(?:(?:[A-Za-z_][\w.]*)\s*=\s*)*\(?\s*$/;

const CLASS_KIND: Record<ModelApi, DefinitionKind> = {
  'torch-module': 'pytorch-module',
  'torch-sequential': 'pytorch-module',
  'keras-model': 'keras-subclass',
  'keras-sequential': 'keras-subclass',
};

const CALL_KIND: Partial<Record<ModelApi, DefinitionKind>> = {
  'torch-sequential': 'pytorch-module',
  'keras-model': 'keras-functional',
  'keras-sequential': 'keras-sequential',
};

interface ClassHeader {
  readonly name: string;
  readonly bases: readonly string[];
  readonly lineIndex: number;
  readonly nameOffset: number;
}

export function findPythonDefinitions(text: string, importContext?: string): ModelDefinition[] {
  const src = maskPython(text);
  const index = new LineIndex(text);
  const lines = logicalLines(src, index);
  const code = src.code;

  const bindings = new PythonBindings();
  if (importContext !== undefined) {
    const ctx = maskPython(importContext);
    bindings.addImports(ctx.code, logicalLines(ctx, new LineIndex(importContext)));
  }
  bindings.addImports(code, lines);

  const found: ModelDefinition[] = [];
  const classes = classHeaders(code, lines);
  const modelClasses = new Map<string, DefinitionKind>();
  // Bases of the same file may come in any order in the text (and a class may be redefined), so
  // the kinds spread until nothing changes.
  for (let changed = true; changed;) {
    changed = false;
    for (const c of classes) {
      if (modelClasses.has(c.name)) continue;
      const kind = classKind(c.bases, bindings, modelClasses);
      if (kind) {
        modelClasses.set(c.name, kind);
        changed = true;
      }
    }
  }

  const classRanges: Array<{ start: number; end: number }> = [];
  for (const c of classes) {
    const kind = modelClasses.get(c.name);
    if (!kind) continue;
    const startLine = decoratedStart(code, lines, c.lineIndex);
    const endLine = blockEnd(lines, c.lineIndex);
    const nameLine = index.lineOf(c.nameOffset);
    found.push({ name: c.name, kind, startLine, endLine, nameLine, nameCharacter: c.nameOffset - index.lineStart(nameLine) });
    classRanges.push({ start: startLine, end: endLine });
  }

  let lineCursor = 0;
  for (const m of code.matchAll(CALL)) {
    const callee = m[1]!.replace(/\s+/g, '');
    const api = bindings.api(callee);
    const kind = api ? CALL_KIND[api] : undefined;
    if (!kind) continue;
    const at = m.index;
    while (lineCursor + 1 < lines.length && lines[lineCursor + 1]!.start <= at) lineCursor++;
    const line = lines[lineCursor]!;
    const target = ASSIGNED.exec(code.slice(line.start, at));
    if (!target) continue;                              // an argument, a return value, ...
    const callLine = index.lineOf(at);
    if (classRanges.some((r) => callLine >= r.start && callLine <= r.end)) continue;
    const name = target[2]!;
    const nameOffset = line.start + target.index + target[0].indexOf(target[1]!) + target[1]!.length - name.length;
    const close = matchingBracket(code, at + m[0].length - 1);
    if (close >= 0 && /^\s*[.([]/.test(code.slice(close + 1, line.end))) continue;   // keras.Sequential(...).fit(...)
    const nameLine = index.lineOf(nameOffset);
    found.push({
      name, kind,
      startLine: line.startLine,
      endLine: close < 0 ? line.endLine : index.lineOf(close),
      nameLine,
      nameCharacter: nameOffset - index.lineStart(nameLine),
    });
  }
  return found.sort((a, b) => a.startLine - b.startLine || a.nameCharacter - b.nameCharacter);
}

function classHeaders(code: string, lines: readonly LogicalLine[]): ClassHeader[] {
  const out: ClassHeader[] = [];
  lines.forEach((line, lineIndex) => {
    if (line.blank) return;
    const m = CLASS_HEADER.exec(code.slice(line.start, line.end));
    if (!m) return;
    const nameOffset = line.start + m[0].indexOf(m[1]!, m[0].indexOf('class') + 5);
    let bases: string[] = [];
    if (m[2]) {
      const open = line.start + m[0].length - 1;
      const close = matchingBracket(code, open);
      if (close > open) {
        bases = splitTopLevel(code.slice(open + 1, close))
          .map((b) => b.replace(/\s+/g, ''))
          .filter((b) => b !== '' && !b.includes('=') && !b.startsWith('*'))   // metaclass=..., *bases
          .map((b) => b.replace(/\[.*$/, ''));                                   // Generic[T] -> Generic
      }
    }
    out.push({ name: m[1]!, bases, lineIndex, nameOffset });
  });
  return out;
}

function classKind(bases: readonly string[], bindings: PythonBindings, local: ReadonlyMap<string, DefinitionKind>): DefinitionKind | undefined {
  for (const base of bases) {
    if (!DOTTED.test(base)) continue;
    const own = local.get(base);
    if (own) return own;
    const api = bindings.api(base);
    if (api) return CLASS_KIND[api];
  }
  return undefined;
}

/** The first line of the decorators right above the statement at `lines[i]` (or its own line). */
function decoratedStart(code: string, lines: readonly LogicalLine[], i: number): number {
  const indent = lines[i]!.indent;
  let start = lines[i]!.startLine;
  for (let k = i - 1; k >= 0; k--) {
    const line = lines[k]!;
    if (line.blank) continue;
    if (line.indent !== indent || !code.slice(line.start, line.end).trimStart().startsWith('@')) break;
    start = line.startLine;
  }
  return start;
}


/** The last line of the indented block that the statement at `lines[i]` opens. */
function blockEnd(lines: readonly LogicalLine[], i: number): number {
  const header = lines[i]!;
  let end = header.endLine;
  for (let k = i + 1; k < lines.length; k++) {
    const line = lines[k]!;
    if (line.blank) continue;
    if (line.indent <= header.indent) break;
    end = line.endLine;
  }
  return end;
}
