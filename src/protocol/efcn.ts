/** `analysis/efcn`: a CNN as its equivalent fully-connected network (eFCN), and relax training. Plain data. */
import type { DatasetParams } from './data';

export interface EfcnParams {
  readonly file: string;
  /** Writes the eFCN as a TF.js layers model folder (model.json + weights.bin). */
  readonly outDir?: string;
  /** Relax training: steps (0 or absent: none) on this dataset. */
  readonly relax?: {
    readonly dataset: DatasetParams;
    readonly steps: number;
    readonly lr?: number;
    readonly batchSize?: number;
    readonly testDataset?: DatasetParams;
  };
}

export interface EfcnLayerRow {
  readonly layer: string;
  readonly node: string;
  readonly op: string;
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  readonly denseElements: number;
  readonly nnz: number;
  readonly sparsity: number;
  readonly denseBytes: number;
  readonly csrBytes: number;
  readonly kernelBytes: number;
}

export interface EfcnDeviation {
  readonly layer: string;
  readonly offPattern: number;
  readonly nonShared: number;
  readonly biasNonShared?: number;
}

export interface EfcnRelaxPoint {
  readonly step: number;
  readonly trainLoss?: number;
  readonly testLoss?: number;
  readonly testAccuracy?: number;
  readonly layers: EfcnDeviation[];
}

export interface EfcnResult {
  readonly file: string;
  readonly residual: { readonly maxAbs: number; readonly maxRel: number; readonly samples: number };
  readonly layers: EfcnLayerRow[];
  readonly cnnParams: number;
  readonly efcnParams: number;
  readonly written?: { readonly modelJson: string; readonly weightsFile: string; readonly bytes: number };
  readonly relax?: { readonly points: EfcnRelaxPoint[]; readonly estimatedBytes: number; readonly lr: number; readonly samples: number };
  readonly millis: number;
}

/** Streamed: one relax point as soon as it is measured. */
export type EfcnPartial = EfcnRelaxPoint;
