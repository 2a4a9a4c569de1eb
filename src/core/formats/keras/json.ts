import { parseJsonText } from '../json';

/** A JSON object as read from a model file: every field still to be checked. */
export type Json = Record<string, unknown>;

/** True for a plain JSON object (not an array, not null). */
export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses JSON text embedded in a model file (an HDF5 attribute, a zip entry), depth-bounded. */
export function parseEmbeddedJson(file: string, text: string, what: string): unknown {
  return parseJsonText(file, text, what);
}
