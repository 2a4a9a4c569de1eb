import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../../core/errors';
import { loadModel } from '../../core/formats';
import type { Graph } from '../../core/graph/ir';
import type { WorkContext } from '../../core/progress';
import { accuracyMap, architectureHash, computeNads, DirectionResult, fourierGrid, gridFrequencies, imageGeometry, NadResult as CoreNad, ResultStore } from '../../core/analyses/nad';
import type { NadMapParams, NadMapPartial, NadMapResult, NadParams, NadResult } from '../../protocol/nad';
import type { JobHandler } from './handlers';
import { requireString } from './validate';

/** Default number of NADs returned with vectors and spectra. */
export const DEFAULT_NAD_TOP = 16;

function checkInt(name: string, v: number | undefined, min: number, max: number): void {
  if (v !== undefined && (!Number.isInteger(v) || v < min || v > max)) throw new UserError(`${name} must be an integer from ${min} to ${max}, got ${v}.`);
}

/** Core's NADs as plain JSON data, the top `top` with vectors and spectra, the eigenvalue spectrum whole. */
export function nadToWire(graph: Graph, r: CoreNad, top: number, millis: number): NadResult {
  const nads = r.nads.slice(0, top);
  return {
    file: graph.file,
    inputShape: r.geometry.sampleShape,
    inputLayout: graph.inputs[0].layout,
    image: { h: r.geometry.h, w: r.geometry.w, c: r.geometry.c },
    scheme: r.scheme,
    networks: r.networks,
    outputIndex: r.outputIndex,
    seed: r.seed,
    method: r.method,
    eigenvalues: Array.from(r.eigenvalues),
    totalVariance: r.totalVariance,
    nads: nads.map((n) => Array.from(n.vector)),
    explained: nads.map((n) => n.explained),
    spectra: nads.map((n) => Array.from(n.spectrum)),
    fourierEnergy: nads.map((n) => ({ dc: n.energy.dc, rings: [...n.energy.rings], mod2: n.energy.mod2, mod4: n.energy.mod4, peak: { ...n.energy.peak } })),
    millis,
  };
}

/** Runs a whole NAD request. */
export async function runNad(p: NadParams, ctx: WorkContext): Promise<NadResult> {
  const file = requireString(p, 'file');
  checkInt('The number of networks', p.networks, 2, 1_000_000);
  checkInt('The number of NADs', p.top, 1, 4096);
  const t0 = Date.now();
  ctx.progress?.(0, `Loading ${file}`);
  const graph = await loadModel(file);
  const top = p.top ?? DEFAULT_NAD_TOP;
  const r = await computeNads(graph, {
    ...(p.networks !== undefined ? { networks: p.networks } : {}),
    ...(p.init ? { scheme: p.init } : {}),
    ...(p.seed !== undefined ? { seed: p.seed } : {}),
    ...(p.output !== undefined ? { outputIndex: p.output } : {}),
    components: top,
  }, ctx);
  return nadToWire(graph, r, top, Date.now() - t0);
}

/** A result store in one JSON file, rewritten (atomically) after every result, so an interrupted sweep resumes. */
export function jsonFileStore<T>(file: string): ResultStore<T> {
  let map: Record<string, T> = {};
  try {
    map = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, T>;
    if (typeof map !== 'object' || map === null || Array.isArray(map)) map = {};
  } catch {
    map = {};
  }
  return {
    get: (key) => (Object.prototype.hasOwnProperty.call(map, key) ? map[key] : undefined),
    set: (key, value) => {
      map[key] = value;
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(map));
      fs.renameSync(tmp, file);
    },
  };
}

/** The default cache file of a model's accuracy map: in the temp folder, keyed by the architecture hash. */
export function defaultNadMapCache(graph: Graph): string {
  return path.join(os.tmpdir(), 'linear-lens', `nad-map-${architectureHash(graph)}.json`);
}

/** Runs a whole accuracy-map request over an n×n Fourier grid. */
export async function runNadMap(p: NadMapParams, ctx: WorkContext, onPartial?: (x: NadMapPartial) => void): Promise<NadMapResult> {
  const file = requireString(p, 'file');
  const t0 = Date.now();
  ctx.progress?.(0, `Loading ${file}`);
  const graph = await loadModel(file);
  const g = imageGeometry(graph);
  const n = p.grid ?? 4;
  checkInt('The grid size', n, 1, Math.min(g.h, g.w));
  const cells = fourierGrid(g, n);
  const cacheFile = p.cacheFile ?? defaultNadMapCache(graph);
  const store = jsonFileStore<DirectionResult>(cacheFile);
  const total = cells.length;
  const outcomes = await accuracyMap(graph, {
    directions: cells.map((c) => c.direction),
    store,
    ...(p.samples !== undefined ? { samples: p.samples, testSamples: p.samples } : {}),
    ...(p.epochs !== undefined ? { epochs: p.epochs } : {}),
    ...(p.init ? { scheme: p.init } : {}),
    ...(p.seed !== undefined ? { seed: p.seed } : {}),
    onResult: (o) => {
      const i = cells.findIndex((c) => c.direction === o.direction);
      const c = cells[i];
      onPartial?.({ index: i, row: c.row, col: c.col, fu: c.fu, fv: c.fv, accuracy: o.testAccuracy, cached: o.cached, total });
    },
  }, ctx);
  return {
    file: graph.file,
    grid: n,
    rowFrequencies: gridFrequencies(g.h, n),
    colFrequencies: gridFrequencies(g.w, n),
    directions: cells.map((c, i) => ({ row: c.row, col: c.col, fu: c.fu, fv: c.fv, key: outcomes[i].directionKey })),
    accuracy: outcomes.map((o) => o.testAccuracy),
    testLoss: outcomes.map((o) => o.testLoss),
    cached: outcomes.filter((o) => o.cached).length,
    cacheFile,
    millis: Date.now() - t0,
  };
}

/** `analysis/nad`. */
export const nadJob: JobHandler<'analysis/nad'> = (params, ctx) => runNad(params, ctx);

/** `analysis/nadMap`. */
export const nadMapJob: JobHandler<'analysis/nadMap'> = (params, ctx) => runNadMap(params, ctx, (x) => ctx.partial(x));
