/**
 * Model definitions in JavaScript and TypeScript: a `tf.sequential(...)` or `tf.model(...)` call
 * assigned to a variable (`const`/`let`/`var`, exported or not), a property (`this.model = ...`)
 * or a class field. `tf` is whatever the file imports TensorFlow.js as (`import * as tfn from
 * '@tensorflow/tfjs-node'`, `const tf = require(...)`), plus the global `tf` of a script tag;
 * `import { sequential } from '@tensorflow/tfjs'` makes the bare call count too.
 */
import type { DefinitionKind, ModelDefinition } from './definitions';
import { LineIndex, MaskedSource } from './maskedSource';
import { maskScript } from './scriptSource';
import { matchingBracket } from './statements';

type TfjsFunction = 'sequential' | 'model';

const KIND: Record<TfjsFunction, DefinitionKind> = { sequential: 'tfjs-sequential', model: 'tfjs-model' };

const ID = '[A-Za-z_$][\\w$]*';
const CALL = new RegExp(`(?<![\\w$.])(?:(${ID})\\s*(?:\\?\\.|\\.)\\s*)?(${ID})\\s*\\(`, 'g');
// What may stand between the start of a statement and the call: `export const name: Type = `,
// `this.model = `, `private readonly model = `, `model = (`.
const ASSIGNED = new RegExp(
  `(?:^|[;{}\\n])\\s*(?:export\\s+)?(?:(?:const|let|var|private|protected|public|readonly|static|declare|override)\\s+)*` +
  `((?:${ID}\\s*\\.\\s*)*(${ID}))\\s*(?::[^=;{}()]*(?:=>[^=;{}()]*)*)?=\\s*\\(?\\s*$`);

/** Namespace and bare-function names under which this file reaches TensorFlow.js. */
interface TfjsNames {
  readonly namespaces: Set<string>;
  readonly functions: Map<string, TfjsFunction>;
}

const isTfjsModule = (spec: string): boolean => /^@tensorflow\/tfjs(?:-[\w-]+)?(?:\/.*)?$/.test(spec);

function stringAt(src: MaskedSource, offset: number): string | undefined {
  return src.strings.find((s) => s.start === offset)?.body;
}

function readImports(src: MaskedSource, names: TfjsNames): void {
  const code = src.code;
  const namespaceImport = new RegExp(`\\bimport\\s+(?:\\*\\s+as\\s+(${ID})|(${ID})(?:\\s*,\\s*\\{([^}]*)\\})?|\\{([^}]*)\\})\\s*from\\s*(?=['"])`, 'g');
  for (const m of code.matchAll(namespaceImport)) {
    const spec = stringAt(src, m.index + m[0].length);
    if (spec === undefined || !isTfjsModule(spec)) continue;
    const ns = m[1] ?? m[2];
    if (ns) names.namespaces.add(ns);
    addNamedImports(m[3] ?? m[4], names);
  }
  const requireCall = new RegExp(`\\b(?:const|let|var)\\s+(?:(${ID})|\\{([^}]*)\\})\\s*=\\s*(?:await\\s+import|require)\\s*\\(\\s*(?=['"])`, 'g');
  for (const m of code.matchAll(requireCall)) {
    const spec = stringAt(src, m.index + m[0].length);
    if (spec === undefined || !isTfjsModule(spec)) continue;
    if (m[1]) names.namespaces.add(m[1]);
    addNamedImports(m[2], names);
  }
}

function addNamedImports(list: string | undefined, names: TfjsNames): void {
  if (!list) return;
  for (const item of list.split(',')) {
    const m = new RegExp(`^\\s*(?:type\\s+)?(${ID})\\s*(?:(?:as|:)\\s*(${ID}))?\\s*$`).exec(item);
    if (m && (m[1] === 'sequential' || m[1] === 'model')) names.functions.set(m[2] ?? m[1], m[1]);
  }
}

export function findScriptDefinitions(text: string, importContext?: string): ModelDefinition[] {
  const src = maskScript(text);
  const index = new LineIndex(text);
  const code = src.code;
  const names: TfjsNames = { namespaces: new Set(['tf']), functions: new Map() };
  if (importContext !== undefined) readImports(maskScript(importContext), names);
  readImports(src, names);

  const found: ModelDefinition[] = [];
  for (const m of code.matchAll(CALL)) {
    const [, ns, fn] = m;
    let tfjs: TfjsFunction | undefined;
    if (ns !== undefined) {
      if (names.namespaces.has(ns) && (fn === 'sequential' || fn === 'model')) tfjs = fn;
    } else if (fn !== undefined) {
      tfjs = names.functions.get(fn);
    }
    if (!tfjs) continue;
    const at = m.index;
    // The statement can start lines above (`const model =\n  tf.sequential(`); a few hundred
    // characters back (from a line start, never mid-word) is plenty and keeps the scan linear.
    const from = at > 400 ? code.lastIndexOf('\n', at - 400) + 1 : 0;
    const target = ASSIGNED.exec(code.slice(from, at));
    if (!target) continue;
    const name = target[2]!;
    const nameOffset = from + target.index + target[0].lastIndexOf(target[1]!) + target[1]!.length - name.length;
    const nameLine = index.lineOf(nameOffset);
    const statementStart = from + target.index + target[0].search(/[^;{}\s]/);
    const close = matchingBracket(code, at + m[0].length - 1);
    if (close >= 0 && /^\s*(?:\?\.|[.([])/.test(code.slice(close + 1, close + 200))) continue;   // tf.sequential().add(...)
    found.push({
      name,
      kind: KIND[tfjs],
      startLine: index.lineOf(statementStart),
      endLine: close < 0 ? nameLine : index.lineOf(close),
      nameLine,
      nameCharacter: nameOffset - index.lineStart(nameLine),
    });
  }
  return found;
}
