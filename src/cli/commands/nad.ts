import * as fs from 'node:fs';
import * as path from 'node:path';
import { runNad, runNadMap } from '../../host/jobs/nad';
import type { NadInitScheme, NadMapResult, NadResult } from '../../protocol/nad';
import type { Command } from '../command';
import { intOption } from '../options';
import { terminalProgress } from '../progress';
import { nadFigures, nadMapFigures } from '../reports/nadFigures';

const INIT = ['pytorch', 'keras', 'he', 'glorot'] as const;

function writeJson(file: string | undefined, data: unknown, out: (s: string) => void): void {
  if (!file) return;
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(data) + '\n');
  out(`JSON written to ${file}\n`);
}

/** The text report of a NAD run: the spectrum's head and where each NAD's energy sits. */
export function renderNad(r: NadResult): string {
  const lines = [
    `Model:    ${r.file}`,
    `Input:    ${r.image.h}×${r.image.w}×${r.image.c} (${r.inputLayout}); output score ${r.outputIndex}`,
    `Networks: ${r.networks} (${r.scheme} init, seed ${r.seed}); PCA by ${r.method}`,
    `Eigenvalues (top 8 of ${r.eigenvalues.length}): ${r.eigenvalues.slice(0, 8).map((v) => v.toPrecision(3)).join(', ')}`,
    '',
    'NAD  explained     DC   ring1  ring2  ring3   mod2   mod4   peak (fu, fv)',
  ];
  r.fourierEnergy.forEach((e, i) => {
    const pc = (v: number | undefined) => (v === undefined ? '     -' : (100 * v).toFixed(1).padStart(6));
    lines.push(`${String(i).padStart(3)}  ${pc(r.explained[i])}%  ${pc(e.dc)} ${pc(e.rings[1])} ${pc(e.rings[2])} ${pc(e.rings[3])} ${pc(e.mod2)} ${pc(e.mod4)}   (${e.peak.fu}, ${e.peak.fv}) ${pc(e.peak.share)}`);
  });
  lines.push('(energy shares in %)');
  return lines.join('\n') + '\n';
}

/** `linear-lens nad MODEL ...`. */
export const nadCommand: Command = {
  name: 'nad',
  summary: 'Neural anisotropy directions: the input directions an architecture is biased towards at initialisation.',
  description:
    'Takes finite-difference gradients of many freshly initialised copies of the architecture at one input, and reports ' +
    'their principal directions (NADs) by variance, each with its Fourier magnitude and where its energy sits (DC, rings, ' +
    'the stride-2 and stride-4 sub-lattices, the peak frequency). The weights in MODEL are not used, only its architecture.',
  positionals: [{ name: 'MODEL', description: 'the model file (its architecture)' }],
  options: [
    { name: 'networks', value: { name: 'N' }, description: 'freshly initialised networks (default 1000; the paper used 10000)' },
    { name: 'init', value: { name: 'SCHEME', choices: INIT }, description: 'initialiser (default: the model framework\'s)' },
    { name: 'output', value: { name: 'K' }, description: 'output score whose gradient is taken (default 0)' },
    { name: 'seed', value: { name: 'S' }, description: 'seed of the initialisations and x0 (default 0)' },
    { name: 'top', value: { name: 'K' }, description: 'NADs reported with vectors and spectra (default 16)' },
    { name: 'json', value: { name: 'OUT' }, description: 'write the result as JSON' },
    { name: 'png', value: { name: 'DIR' }, description: 'write the figures as PNG files into DIR' },
  ],
  examples: ['linear-lens nad cnn/model.json --networks 1000 --top 16 --png out/'],
  async run(args, env) {
    const networks = intOption('networks', args.value('networks'), 2, 1_000_000);
    const output = intOption('output', args.value('output'), 0, 2 ** 31 - 1);
    const seed = intOption('seed', args.value('seed'), 0, 2 ** 31 - 1);
    const top = intOption('top', args.value('top'), 1, 4096);
    const init = args.value('init') as NadInitScheme | undefined;
    await env.backend();
    const p = terminalProgress('nad');
    const r = await runNad({
      file: path.resolve(args.positional('MODEL')!),
      ...(networks !== undefined ? { networks } : {}),
      ...(output !== undefined ? { output } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(top !== undefined ? { top } : {}),
      ...(init ? { init } : {}),
    }, p);
    p.done();
    env.out(renderNad(r));
    writeJson(args.value('json'), r, env.out);
    const png = args.value('png');
    if (png) env.out(`Figures written: ${nadFigures(r, png).map((f) => path.relative(process.cwd(), f)).join(', ')}\n`);
  },
};

/** The text report of an accuracy map: the grid as a table. */
export function renderNadMap(r: NadMapResult): string {
  const lines = [`Model: ${r.file}`, `${r.directions.length} directions on a ${r.grid}×${r.grid} Fourier grid (${r.cached} from the cache${r.cacheFile ? ` ${r.cacheFile}` : ''})`, '', `fu \\ fv ${r.colFrequencies.map((f) => String(f).padStart(7)).join('')}`];
  for (let i = 0; i < r.grid; i++) {
    lines.push(`${String(r.rowFrequencies[i]).padStart(7)} ${r.accuracy.slice(i * r.grid, (i + 1) * r.grid).map((a) => (100 * a).toFixed(1).padStart(7)).join('')}`);
  }
  lines.push('(test accuracy in %)');
  return lines.join('\n') + '\n';
}

/** `linear-lens nad-map MODEL ...`. */
export const nadMapCommand: Command = {
  name: 'nad-map',
  summary: 'Directional accuracy map: train the architecture on a linearly separable set along each Fourier direction.',
  description:
    'For every (fu, fv) of a G×G grid over the centred frequency plane, trains a fresh copy of the architecture (two-class ' +
    'head) on the separable set along that Fourier direction and reports its test accuracy. Each direction\'s result is ' +
    'kept in a JSON cache file as soon as it is known, so an interrupted run resumes where it stopped.',
  positionals: [{ name: 'MODEL', description: 'the model file (its architecture)' }],
  options: [
    { name: 'grid', value: { name: 'G' }, description: 'grid points per axis (default 4)' },
    { name: 'samples', value: { name: 'N' }, description: 'training samples per direction, and as many test samples (default 10000)' },
    { name: 'epochs', value: { name: 'E' }, description: 'epochs per direction (default 20)' },
    { name: 'init', value: { name: 'SCHEME', choices: INIT }, description: 'initialiser (default: the model framework\'s)' },
    { name: 'seed', value: { name: 'S' }, description: 'seed (default 0)' },
    { name: 'cache', value: { name: 'FILE' }, description: 'the results cache (default: in the temp folder, keyed by the architecture)' },
    { name: 'json', value: { name: 'OUT' }, description: 'write the result as JSON' },
    { name: 'png', value: { name: 'DIR' }, description: 'write the heat map as PNG into DIR' },
  ],
  examples: ['linear-lens nad-map cnn/model.json --grid 8 --samples 2000 --epochs 5 --png out/'],
  async run(args, env) {
    const grid = intOption('grid', args.value('grid'), 1, 4096);
    const samples = intOption('samples', args.value('samples'), 2, 10_000_000);
    const epochs = intOption('epochs', args.value('epochs'), 1, 100_000);
    const seed = intOption('seed', args.value('seed'), 0, 2 ** 31 - 1);
    const init = args.value('init') as NadInitScheme | undefined;
    const cache = args.value('cache');
    await env.backend();
    const p = terminalProgress('nad-map');
    const r = await runNadMap({
      file: path.resolve(args.positional('MODEL')!),
      ...(grid !== undefined ? { grid } : {}),
      ...(samples !== undefined ? { samples } : {}),
      ...(epochs !== undefined ? { epochs } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(init ? { init } : {}),
      ...(cache ? { cacheFile: path.resolve(cache) } : {}),
    }, p);
    p.done();
    env.out(renderNadMap(r));
    writeJson(args.value('json'), r, env.out);
    const png = args.value('png');
    if (png) env.out(`Figures written: ${nadMapFigures(r, png).map((f) => path.relative(process.cwd(), f)).join(', ')}\n`);
  },
};
