import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../../core/errors';
import { HostClient } from '../../host/client/hostClient';
import type { BackendPreference } from '../../protocol/host';
import type { ModelSummary } from '../../protocol/model';
import type { Command } from '../command';
import { interpretFigures } from '../reports/interpretFigures';
import { llfcFigures, lmcFigures } from '../reports/connectivityFigures';
import { nadFigures } from '../reports/nadFigures';
import { efcnFigures } from '../reports/efcnFigures';

/** Model files of the examples folder, one per model folder, found by the names the examples script writes. */
export function exampleModels(dir: string): string[] {
  const models = path.join(dir, 'models');
  if (!fs.existsSync(models)) throw new UserError(`${models}: no example models here; run the demo from the project folder or pass --examples DIR.`, models);
  const out: string[] = [];
  for (const name of fs.readdirSync(models).sort()) {
    const d = path.join(models, name);
    if (!fs.statSync(d).isDirectory()) continue;
    const file = ['model.json', 'model.onnx', 'model.keras', 'model.h5'].map((f) => path.join(d, f)).find((f) => fs.existsSync(f));
    if (file) out.push(file);
  }
  return out;
}

function shape(s: readonly (number | null)[]): string {
  return `[${s.map((d) => (d === null ? '?' : d)).join(', ')}]`;
}

/** `linear-lens demo`: the compute host loads every bundled example model; prints and writes a summary. */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'Run the demo: the compute host loads the bundled examples and writes a report folder.',
  description:
    'Starts the compute host as a separate process (as the VS Code extension does), asks it which backend it runs on, ' +
    'loads every example model through it and prints a summary. The report folder gets summary.json; ' +
    'each analysis adds its figures (PNG) and data (JSON) there.',
  positionals: [],
  options: [
    { name: 'examples', value: { name: 'DIR' }, description: 'the examples folder (default: ./examples)' },
    { name: 'out', value: { name: 'DIR' }, description: 'the report folder (default: ./report)' },
  ],
  examples: ['linear-lens demo', 'linear-lens demo --out /tmp/report --backend cpu'],
  async run(args, env) {
    const examples = path.resolve(args.value('examples') ?? 'examples');
    const out = path.resolve(args.value('out') ?? 'report');
    const files = exampleModels(examples);
    const hostScript = path.join(__dirname, 'host.js');
    if (!fs.existsSync(hostScript)) throw new UserError(`${hostScript}: the compute host bundle is missing; run "npm run build" first.`, hostScript);
    const backend = (args.value('backend') ?? process.env.LINEAR_LENS_BACKEND) as BackendPreference | undefined;
    const tfjsNodePath = args.value('tfjs-node');
    const client = new HostClient({ hostScript, ...(backend ? { backend } : {}), ...(tfjsNodePath ? { tfjsNodePath } : {}) });
    try {
      const info = await client.info();
      env.out(`Linear Lens demo\ncompute host: pid ${info.pid}, backend ${info.backend.device}, tfjs ${info.versions.tfjs}, node ${info.versions.node}\n`);
      for (const n of info.backend.notUsed) env.out(`  (${n.backend} not used: ${n.reason})\n`);
      const models: { file: string; summary: ModelSummary }[] = [];
      for (const file of files) {
        const summary = await client.run('model/describe', { file });
        models.push({ file: path.relative(process.cwd(), file), summary });
        const rel = path.relative(examples, file);
        env.out(
          `\n${rel}\n  ${summary.format} from ${summary.producer.name}; ` +
            `inputs ${summary.inputs.map((p) => shape(p.shape)).join(', ')} -> outputs ${summary.outputs.map((p) => shape(p.shape)).join(', ')}; ` +
            `${summary.layers.length} layers, ${summary.paramCount.toLocaleString('en-US')} parameters\n`,
        );
        env.out(`  ${summary.layers.map((l) => `${l.name}:${l.type}`).join(' > ')}\n`);
      }
      fs.mkdirSync(out, { recursive: true });
      const analyses: Record<string, unknown> = {};
      // Linear interpreter at the first test image, for one MLP and one CNN.
      const testImages = path.join(examples, 'data/fashion-mnist/t10k-images-idx3-ubyte.gz');
      for (const name of ['mlp-seed1', 'cnn-seed1']) {
        const file = files.find((f) => path.basename(path.dirname(f)) === name);
        if (!file || !fs.existsSync(testImages)) continue;
        const r = await client.run('analysis/interpret', { file, input: { kind: 'dataset', dataset: { path: testImages }, index: 0 }, rows: 'all', svd: 4 });
        const dir = path.join(out, 'interpreter', name);
        const figures = interpretFigures(r, dir);
        fs.writeFileSync(path.join(dir, 'result.json'), JSON.stringify(r) + '\n');
        analyses[`interpreter/${name}`] = { residual: r.residual, predicted: r.predicted, label: r.label, figures: figures.map((f) => path.relative(out, f)) };
        env.out(`\nLinear interpreter, ${name}, test image 0 (label ${r.label}): predicted ${r.predicted}; ‖A·x0 + b − F(x0)‖/‖F(x0)‖ = ${r.residual.toExponential(2)}; ` +
          `top singular values ${r.singularValues?.map((v) => v.toPrecision(3)).join(', ')}\n  figures: ${path.relative(process.cwd(), dir)}${path.sep}\n`);
      }
      // Linear mode connectivity of the two example MLPs: naive, weight matching, + REPAIR.
      const mlp1 = files.find((f) => path.basename(path.dirname(f)) === 'mlp-seed1');
      const mlp2 = files.find((f) => path.basename(path.dirname(f)) === 'mlp-seed2');
      if (mlp1 && mlp2 && fs.existsSync(testImages)) {
        const r = await client.run('analysis/lmc', {
          a: mlp1, b: mlp2, dataset: { path: testImages }, align: 'none', bn: 'none', layerwise: true,
          compare: [{ align: 'weights', bn: 'none' }, { align: 'weights', bn: 'repair' }],
        });
        const dir = path.join(out, 'connectivity');
        const figures = lmcFigures(r, dir);
        fs.writeFileSync(path.join(dir, 'lmc.json'), JSON.stringify(r) + '\n');
        const l = await client.run('analysis/llfc', { a: mlp1, b: mlp2, dataset: { path: testImages, maxSamples: 500 }, align: 'weights' });
        figures.push(...llfcFigures(l, dir));
        fs.writeFileSync(path.join(dir, 'llfc.json'), JSON.stringify(l) + '\n');
        analyses.connectivity = { barriers: Object.fromEntries(r.curves.map((c) => [c.label, c.barrier])), figures: figures.map((f) => path.relative(out, f)) };
        env.out(`\nLinear mode connectivity, mlp-seed1 vs mlp-seed2 (${r.samples} test images): loss barrier ` +
          r.curves.map((c) => `${c.label} ${c.barrier.loss.toFixed(3)}`).join(', ') + `\n  figures: ${path.relative(process.cwd(), dir)}${path.sep}\n`);
      }
      // Neural anisotropy directions of the example CNN's architecture (200 networks: the fast setting).
      const cnn1 = files.find((f) => path.basename(path.dirname(f)) === 'cnn-seed1');
      if (cnn1) {
        const r = await client.run('analysis/nad', { file: cnn1, networks: 200, top: 8 });
        const dir = path.join(out, 'nad');
        const figures = nadFigures(r, dir);
        fs.writeFileSync(path.join(dir, 'nad.json'), JSON.stringify(r) + '\n');
        analyses.nad = { networks: r.networks, scheme: r.scheme, eigenvalues: r.eigenvalues.slice(0, 8), fourierEnergy: r.fourierEnergy, figures: figures.map((f) => path.relative(out, f)) };
        env.out(`\nNeural anisotropy directions, cnn-seed1 (${r.networks} networks, ${r.scheme} init): top eigenvalues ${r.eigenvalues.slice(0, 4).map((v) => v.toPrecision(3)).join(', ')}; ` +
          `NAD 0 peaks at (${r.fourierEnergy[0].peak.fu}, ${r.fourierEnergy[0].peak.fv})\n  figures: ${path.relative(process.cwd(), dir)}${path.sep}\n`);
      }
      // The example CNN as its equivalent fully-connected network, and a short relax training.
      const trainImages = path.join(examples, 'data/fashion-mnist/train-images-idx3-ubyte.gz');
      if (cnn1 && fs.existsSync(trainImages)) {
        const r = await client.run('analysis/efcn', { file: cnn1, relax: { dataset: { path: trainImages, maxSamples: 500 }, steps: 20, lr: 0.005 } });
        const dir = path.join(out, 'efcn');
        const figures = efcnFigures(r, dir);
        fs.writeFileSync(path.join(dir, 'efcn.json'), JSON.stringify(r) + '\n');
        const last = r.relax?.points[r.relax.points.length - 1];
        analyses.efcn = { residual: r.residual, layers: r.layers.map((l) => ({ layer: l.layer, denseElements: l.denseElements, nnz: l.nnz, sparsity: l.sparsity, denseBytes: l.denseBytes })), relaxSteps: last?.step ?? 0, figures: figures.map((f) => path.relative(out, f)) };
        env.out(`\nCNN to eFCN, cnn-seed1: residual ${r.residual.maxAbs.toExponential(2)}; ${r.layers.map((l) => `${l.layer} ${(100 * l.sparsity).toFixed(1)}% sparse`).join(', ')}; ` +
          `after ${last?.step ?? 0} relax steps off-pattern ${last?.layers.map((l) => l.offPattern.toExponential(1)).join(', ')}\n  figures: ${path.relative(process.cwd(), dir)}${path.sep}\n`);
      }
      const report = { generated: new Date().toISOString(), backend: info.backend, models, analyses };
      fs.writeFileSync(path.join(out, 'summary.json'), JSON.stringify(report, null, 2) + '\n');
      env.out(`\n${models.length} models loaded; report written to ${path.relative(process.cwd(), out) || '.'}${path.sep}summary.json\n`);
    } finally {
      await client.dispose();
    }
  },
};
