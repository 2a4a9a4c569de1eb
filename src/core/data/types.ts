import type * as tf from '@tensorflow/tfjs-core';
import type { WorkContext } from '../progress';

/** How samples are turned into model input. Applied in this order: scale, mean/std, layout/shape. */
export interface Preprocess {
  /** Multiplies every value first. Default: 1/255 for uint8 data (IDX, npy, images), 1 otherwise. */
  scale?: number;
  /**
   * Subtracted after scaling, one value per channel (or one value for all). For flat samples
   * (CSV, rank-1 npy) one value per feature is also accepted.
   */
  mean?: number[];
  /** Divides after the mean is subtracted; same lengths as `mean`. */
  std?: number[];
  /**
   * Layout of the model input. 'flat' flattens each sample in the order it is stored (what
   * numpy's reshape(n, -1) gives). Default: from `shape` when given, else the data's own layout.
   */
  layout?: 'nhwc' | 'nchw' | 'flat';
  /**
   * The model's per-sample input shape (no batch axis), e.g. [28,28,1], [1,28,28] or [784];
   * -1 matches any size. Used to pick the layout and to reject data that does not fit.
   */
  shape?: number[];
  /**
   * How rank-3 samples are stored when the shape alone is ambiguous. Default: channels-last when
   * the last axis has 1-4 entries, else channels-first when the first one has.
   */
  dataLayout?: 'nhwc' | 'nchw';
}

/** Which file(s) to read and how. The format is found from the content, never from the name. */
export interface DatasetSpec {
  /** An IDX, .npy, .npz or CSV file (each may be gzipped), or a folder of class subfolders of images. */
  path: string;
  /**
   * A separate label file (IDX or .npy, maybe gzipped) with one label per sample, shape [N] or
   * one-hot [N, K]. When absent, an MNIST-style sibling (`…-images-idx3…` -> `…-labels-idx1…`,
   * `x_….npy` -> `y_….npy`) is used if it exists.
   */
  labels?: string;
  /** CSV only: the label column, by header name or index (negative counts from the end). */
  labelColumn?: string | number;
  /** .npz only: which arrays hold the samples and the labels. */
  npzKeys?: { x?: string; y?: string };
  preprocess?: Preprocess;
  /** A deterministic random subset of `count` samples (the same for the same seed), read in file order. */
  subset?: { count: number; seed?: number };
  /**
   * Where decompressed copies of gzipped files and deflated .npz members are kept so they can be
   * read in random order without holding them in memory. Default: <tmpdir>/linear-lens-cache.
   */
  cacheDir?: string;
}

/** One batch; the consumer disposes `x` and `y`. */
export interface Batch {
  /** [b, ...sampleShape], float32, preprocessed. */
  x: tf.Tensor;
  /** [b], int32 class indices; present when the dataset has labels. */
  y?: tf.Tensor;
  /** Index in the file of each sample of the batch (what `sample()` takes). */
  indices: number[];
}

/** A dataset opened for reading; samples are read from disk lazily, batch by batch. */
export interface Dataset {
  /** File name (with the .npz member), for messages and titles. */
  readonly name: string;
  /** Number of samples this dataset yields (after subsetting). */
  readonly size: number;
  /** Number of samples in the file before subsetting. */
  readonly fileSize: number;
  /** Per-sample shape after preprocessing, without the batch axis. */
  readonly sampleShape: number[];
  /** 1 + the largest label, or the number of class folders / one-hot columns / label names. */
  readonly numClasses?: number;
  /** Class names when the data has them (folder names, CSV label strings). */
  readonly classNames?: string[];
  readonly hasLabels: boolean;
  /** Yields the samples in file order (of the subset, when one was asked for). */
  batches(batchSize: number, ctx?: WorkContext): AsyncIterable<Batch>;
  /** One preprocessed sample by its index in the file (0 <= i < fileSize), as in `Batch.indices`. */
  sample(i: number): Promise<{ x: Float32Array; y?: number }>;
  /** Releases the open files; iterating afterwards throws. */
  close(): void;
  /**
   * How it was opened: another thread (a worker) opens the same samples, in the same order, from
   * this instead of being sent copies of them.
   */
  readonly spec?: DatasetSpec;
}

/**
 * How samples are stored: 'hwc' / 'chw' image-like rank-3 samples, 'flat' rank-1 samples, or
 * 'nd' for anything else (which can only be kept as is or flattened).
 */
export type SourceLayout = 'hwc' | 'chw' | 'flat' | 'nd';

/** A format reader: raw samples by file index, before preprocessing. */
export interface SampleSource {
  /** Names the file in messages. */
  readonly file: string;
  readonly size: number;
  /** Per-sample shape as stored (IDX/npy [H,W] samples get a trailing 1). */
  readonly sampleShape: number[];
  readonly layout: SourceLayout;
  /** The scale used when Preprocess.scale is absent. */
  readonly defaultScale: number;
  /** Reads the samples at `indices` (ascending) into one buffer of indices.length * prod(sampleShape) values. */
  read(indices: readonly number[]): Promise<Float32Array>;
  close(): void;
}

/** Labels held in memory (4 bytes per sample) after they were validated at open. */
export interface LabelSet {
  readonly file: string;
  readonly labels: Int32Array;
  readonly numClasses: number;
  readonly classNames?: string[];
}
