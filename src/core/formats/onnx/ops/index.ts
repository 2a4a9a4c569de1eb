import { ACTIVATIONS } from './activations';
import { ARITH } from './arith';
import { Convert } from './common';
import { SPATIAL } from './conv';
import { DENSE } from './dense';
import { FOLD } from './fold';
import { NORM } from './norm';
import { STRUCTURE } from './structure';

export type { Convert } from './common';

/** Every ONNX op (default domain) the loader converts, by op type. */
export const CONVERTERS: Readonly<Record<string, Convert>> = {
  ...ACTIVATIONS,
  ...ARITH,
  ...SPATIAL,
  ...DENSE,
  ...NORM,
  ...STRUCTURE,
  ...FOLD,
};
