import { UserError } from '../errors';
import { throwIfCancelled, type WorkContext } from '../progress';
import type { ArrayFile } from './arrayFile';
import type { LabelSet } from './types';

/** Labels are read in chunks of this many rows, so a one-hot file never sits in memory whole. */
const CHUNK_ROWS = 1 << 16;
/** A larger class index means the "labels" are really data (e.g. the images file given twice). */
const MAX_CLASSES = 1_000_000;

/**
 * Reads and validates a label array: shape [N] or [N, 1] of non-negative integers, or [N, K]
 * one-hot / score rows (the argmax is the label and K the number of classes).
 */
export async function readLabelArray(arr: ArrayFile, ctx?: WorkContext): Promise<LabelSet> {
  const { shape, label } = arr;
  const path = arr.file.path;
  const perRow = arr.rowElems;
  if (shape.length > 2 || shape.length === 0) {
    throw new UserError(
      `${label}: labels must have shape [N] (class indices) or [N, K] (one-hot), but this array has shape [${shape.join(', ')}]. Is it the data file rather than the labels?`,
      path,
    );
  }
  const n = arr.count;
  const labels = new Int32Array(n);
  const oneHot = perRow > 1;
  let max = -1;
  const buf = new Float64Array(Math.min(n, CHUNK_ROWS) * perRow);
  for (let first = 0; first < n; first += CHUNK_ROWS) {
    throwIfCancelled(ctx);
    const rows = Math.min(CHUNK_ROWS, n - first);
    await arr.readRange(first, rows, buf, 0);
    for (let r = 0; r < rows; r++) {
      let v: number;
      if (oneHot) {
        let best = 0;
        for (let c = 1; c < perRow; c++) if (buf[r * perRow + c] > buf[r * perRow + best]) best = c;
        v = best;
      } else {
        v = buf[r];
        if (!Number.isInteger(v) || v < 0) {
          throw new UserError(
            `${label}: labels must be class indices 0, 1, 2, ...; sample ${first + r} has label ${v}. Convert the labels to integer class indices.`,
            path,
          );
        }
        if (v >= MAX_CLASSES) {
          throw new UserError(`${label}: sample ${first + r} has label ${v}, which is not a plausible class index. Is this the data file rather than the labels?`, path);
        }
      }
      labels[first + r] = v;
      if (v > max) max = v;
    }
  }
  return { file: label, labels, numClasses: oneHot ? perRow : max + 1 };
}

/** Throws unless the label set has one label per sample. */
export function checkLabelCount(labels: LabelSet, samples: number, dataName: string, path?: string): void {
  if (labels.labels.length !== samples) {
    throw new UserError(
      `${labels.file}: holds ${labels.labels.length} labels but ${dataName} holds ${samples} samples; they must match one to one. Check that the label file belongs to this data.`,
      path,
    );
  }
}
