/**
 * Where a sweep keeps each finished item, so a cancelled sweep resumes where it stopped. The
 * host persists it (workspace storage); tests and the CLI can use `memoryStore`.
 */
export interface ResultStore<T> {
  get(key: string): T | undefined | Promise<T | undefined>;
  set(key: string, value: T): void | Promise<void>;
}

/** A store in a Map (optionally a given one, to share between runs). */
export function memoryStore<T>(map: Map<string, T> = new Map()): ResultStore<T> & { readonly map: Map<string, T> } {
  return {
    map,
    get: (key) => map.get(key),
    set: (key, value) => {
      map.set(key, value);
    },
  };
}
