import { loadModel } from '../../core/formats';
import { openForModel } from '../../core/data/forModel';
import type { Graph } from '../../core/graph/ir';
import { sizeOf } from '../../core/graph/ir';
import type { WorkContext } from '../../core/progress';
import { UserError } from '../../core/errors';
import { equivalenceResidual, layerInfo, relaxTrain, RelaxPoint, toEfcn } from '../../core/analyses/efcn';
import { batchSource } from '../../core/analyses/connectivity/data';
import { writeTfjsLayers } from '../../core/formats/writers';
import type { EfcnParams, EfcnPartial, EfcnRelaxPoint, EfcnResult } from '../../protocol/efcn';
import type { JobHandler } from './handlers';
import { requireString } from './validate';

/** Default samples the relax training reads (a deterministic subset). */
export const DEFAULT_RELAX_SAMPLES = 2000;

function paramCount(g: Graph): number {
  let n = 0;
  for (const p of g.params.values()) n += sizeOf(p.shape);
  return n;
}

/** One relax point as plain JSON data. */
export function relaxPointToWire(p: RelaxPoint): EfcnRelaxPoint {
  return {
    step: p.step,
    ...(p.trainLoss !== undefined ? { trainLoss: p.trainLoss } : {}),
    ...(p.testLoss !== undefined ? { testLoss: p.testLoss } : {}),
    ...(p.testAccuracy !== undefined ? { testAccuracy: p.testAccuracy } : {}),
    layers: p.layers.map((l) => ({ layer: l.layer, offPattern: l.offPattern, nonShared: l.nonShared, ...(l.biasNonShared !== undefined ? { biasNonShared: l.biasNonShared } : {}) })),
  };
}

/** Runs a whole eFCN request: the conversion, its residual, the optional model file and relax training. */
export async function runEfcn(p: EfcnParams, ctx: WorkContext, onPartial?: (x: EfcnPartial) => void): Promise<EfcnResult> {
  const file = requireString(p, 'file');
  const steps = p.relax?.steps ?? 0;
  if (p.relax && (!Number.isInteger(steps) || steps < 0 || steps > 1_000_000)) throw new UserError(`Relax steps must be an integer from 0 to 1000000, got ${steps}.`);
  if (p.relax?.lr !== undefined && !(p.relax.lr > 0)) throw new UserError(`The learning rate must be positive, got ${p.relax.lr}.`);
  const t0 = Date.now();
  ctx.progress?.(0, `Loading ${file}`);
  const cnn = await loadModel(file);
  ctx.progress?.(0.02, 'building the eFCN');
  const efcn = toEfcn(cnn);
  const residual = await equivalenceResidual(cnn, efcn.graph);
  const layers = efcn.layers.map((l) => {
    const i = layerInfo(l);
    return { layer: i.layer, node: i.node, op: i.op, inShape: i.inShape, outShape: i.outShape, denseElements: i.denseElements, nnz: i.nnz, sparsity: i.sparsity, denseBytes: i.denseBytes, csrBytes: i.csrBytes, kernelBytes: i.kernelBytes };
  });
  let written: EfcnResult['written'];
  if (p.outDir) {
    const w = writeTfjsLayers(efcn.graph, p.outDir);
    written = { modelJson: w.modelJson, weightsFile: w.weightsFile, bytes: w.bytes };
  }
  let relax: EfcnResult['relax'];
  if (p.relax && steps > 0) {
    const lr = p.relax.lr ?? 0.1;
    const ds = await openForModel(cnn, { maxSamples: DEFAULT_RELAX_SAMPLES, ...p.relax.dataset }, ctx);
    const test = p.relax.testDataset ? await openForModel(cnn, { maxSamples: DEFAULT_RELAX_SAMPLES, ...p.relax.testDataset }, ctx) : undefined;
    try {
      const r = await relaxTrain(efcn, batchSource(ds), {
        steps,
        lr,
        ...(p.relax.batchSize ? { batchSize: p.relax.batchSize } : {}),
        ...(test ? { testData: batchSource(test) } : {}),
        onPoint: (pt) => onPartial?.(relaxPointToWire(pt)),
      }, ctx);
      relax = { points: r.points.map(relaxPointToWire), estimatedBytes: r.estimatedBytes, lr, samples: ds.size };
    } finally {
      ds.close();
      test?.close();
    }
  }
  ctx.progress?.(1);
  return {
    file: cnn.file,
    residual: { maxAbs: residual.maxAbs, maxRel: residual.maxRel, samples: residual.samples },
    layers,
    cnnParams: paramCount(cnn),
    efcnParams: paramCount(efcn.graph),
    ...(written ? { written } : {}),
    ...(relax ? { relax } : {}),
    millis: Date.now() - t0,
  };
}

/** `analysis/efcn`. */
export const efcnJob: JobHandler<'analysis/efcn'> = (params, ctx) => runEfcn(params, ctx, (x) => ctx.partial(x));
