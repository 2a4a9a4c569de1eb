/** Reads a required string field of request params; a missing one is the client's bug. */
export function requireString(params: object, key: string): string {
  const v = (params as Record<string, unknown>)[key];
  if (typeof v !== 'string' || v.length === 0) throw new TypeError(`params.${key} must be a non-empty string`);
  return v;
}

/** Reads an optional integer field within [min, max]; absent gives `fallback`. */
export function optionalInt(params: object, key: string, min: number, max: number, fallback: number): number {
  const v = (params as Record<string, unknown>)[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new TypeError(`params.${key} must be an integer in [${min}, ${max}]`);
  return v;
}
