/**
 * Finished analysis results on disk, one JSON file per cache key, in the extension's workspace
 * storage. Entries are written to a temporary file and renamed into place, so a reader never sees
 * half an entry; the least recently used go first when the size limit is passed; an entry that
 * does not parse is deleted and reported missing. Plain node (no vscode), so it is unit-tested.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonValue } from '../../protocol/webview';

/** Bumped when the entry layout changes; entries of another format count as corrupt. */
export const CACHE_FORMAT = 1;

const ENTRY_SUFFIX = '.json';
const TEMP_SUFFIX = '.tmp';
/** Temporary files older than this belong to a write that died; eviction removes them. */
const STALE_TEMP_MS = 10 * 60_000;

interface StoredEntry {
  readonly format: number;
  readonly key: string;
  readonly created: number;
  readonly value: JsonValue;
}

export interface ResultCacheOptions {
  /** Most bytes the entries may take together; asked on every write so a changed setting applies at once. 0 turns caching off. */
  readonly maxBytes: () => number;
  /** Where corrupt entries and write failures are reported. */
  readonly log?: (line: string) => void;
}

export interface CacheEntryInfo {
  readonly key: string;
  readonly bytes: number;
  /** Last read or write (the file's modification time). */
  readonly used: number;
}

/** Keys name files, so only these characters (a cacheKey() hex digest fits). */
export function isCacheKey(key: string): boolean {
  return /^[A-Za-z0-9_-]{8,128}$/.test(key);
}

export class ResultCache {
  // Writes and evictions run one at a time: two evictions racing would delete more than needed.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly dir: string, private readonly options: ResultCacheOptions) {}

  /** The stored value, or undefined when there is none (or it was corrupt, and is now deleted). */
  async get(key: string): Promise<JsonValue | undefined> {
    if (!isCacheKey(key)) return undefined;
    const file = this.file(key);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return undefined;
    }
    const entry = parseEntry(text, key);
    if (!entry) {
      this.log(`Result cache: entry ${key} is corrupt; deleted it.`);
      await unlink(file).catch(() => undefined);
      return undefined;
    }
    // The modification time is the LRU clock: reading an entry makes it the newest.
    const now = new Date();
    await utimes(file, now, now).catch(() => undefined);
    return entry.value;
  }

  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  /** Stores `value` under `key` (replacing any entry), then evicts down to the size limit. */
  set(key: string, value: JsonValue): Promise<void> {
    if (!isCacheKey(key)) return Promise.reject(new Error(`not a cache key: ${JSON.stringify(key)}`));
    return this.serial(async () => {
      const max = this.options.maxBytes();
      const entry: StoredEntry = { format: CACHE_FORMAT, key, created: Date.now(), value };
      const text = JSON.stringify(entry);
      const bytes = Buffer.byteLength(text);
      if (bytes > max) {
        // Larger than the whole cache: keeping it would evict everything else and then itself.
        this.log(`Result cache: result ${key} (${bytes} bytes) is larger than the cache limit (${max} bytes); not stored.`);
        await unlink(this.file(key)).catch(() => undefined);
        return;
      }
      await mkdir(this.dir, { recursive: true });
      const temp = join(this.dir, `.${key}.${process.pid}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
      try {
        await writeFile(temp, text);
        await rename(temp, this.file(key));
      } catch (e) {
        await unlink(temp).catch(() => undefined);
        throw e;
      }
      await this.evictNow(max);
    });
  }

  delete(key: string): Promise<void> {
    if (!isCacheKey(key)) return Promise.resolve();
    return this.serial(() => unlink(this.file(key)).catch(() => undefined));
  }

  /** The entries, oldest first. */
  async entries(): Promise<CacheEntryInfo[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const out: CacheEntryInfo[] = [];
    for (const name of names) {
      if (!name.endsWith(ENTRY_SUFFIX) || name.startsWith('.')) continue;
      const key = name.slice(0, -ENTRY_SUFFIX.length);
      if (!isCacheKey(key)) continue;
      const st = await stat(join(this.dir, name)).catch(() => undefined);
      if (st?.isFile()) out.push({ key, bytes: st.size, used: st.mtimeMs });
    }
    return out.sort((a, b) => a.used - b.used || (a.key < b.key ? -1 : 1));
  }

  async totalBytes(): Promise<number> {
    return (await this.entries()).reduce((s, e) => s + e.bytes, 0);
  }

  /** Deletes the least recently used entries until the rest fit the limit; returns how many went. */
  evict(): Promise<number> {
    return this.serial(() => this.evictNow(this.options.maxBytes()));
  }

  private async evictNow(max: number): Promise<number> {
    await this.removeStaleTemps();
    const entries = await this.entries();
    let total = entries.reduce((s, e) => s + e.bytes, 0);
    let removed = 0;
    for (const e of entries) {
      if (total <= max) break;
      await unlink(this.file(e.key)).catch(() => undefined);
      total -= e.bytes;
      removed++;
    }
    return removed;
  }

  private async removeStaleTemps(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return;
    }
    const now = Date.now();
    for (const name of names) {
      if (!name.endsWith(TEMP_SUFFIX)) continue;
      const p = join(this.dir, name);
      const st = await stat(p).catch(() => undefined);
      if (st && now - st.mtimeMs > STALE_TEMP_MS) await unlink(p).catch(() => undefined);
    }
  }

  private file(key: string): string {
    return join(this.dir, `${key}${ENTRY_SUFFIX}`);
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private log(line: string): void {
    this.options.log?.(line);
  }
}

function parseEntry(text: string, key: string): StoredEntry | undefined {
  try {
    const e = JSON.parse(text) as Partial<StoredEntry> | null;
    if (!e || typeof e !== 'object' || e.format !== CACHE_FORMAT || e.key !== key || !('value' in e) || e.value === undefined) return undefined;
    return e as StoredEntry;
  } catch {
    return undefined;
  }
}
