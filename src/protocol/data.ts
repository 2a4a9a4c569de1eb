/** A dataset as analyses take it: the file and how its samples become model input. Plain data. */
export interface DatasetParams {
  /** IDX, .npy/.npz, CSV (maybe gzipped), an image folder, or one PNG/JPEG. */
  readonly path: string;
  readonly labels?: string;
  /** Multiplies raw values; default 1/255 for 8-bit data. */
  readonly scale?: number;
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
  /** 'auto' follows the model's input layout. */
  readonly layout?: 'auto' | 'nhwc' | 'nchw' | 'flat';
  /** Most samples to read: a deterministic subset when the file has more. */
  readonly maxSamples?: number;
  readonly seed?: number;
}
