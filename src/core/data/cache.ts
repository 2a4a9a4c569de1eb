import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../errors';
import { describeFsError } from './file';

/** The default folder for decompressed copies. */
export function defaultCacheDir(): string {
  return path.join(os.tmpdir(), 'linear-lens-cache');
}

/**
 * The cache file for a derived copy of `source` (what = which derivation, e.g. 'gunzip' or an
 * .npz member). The key includes size and mtime so a changed source never reuses a stale copy.
 */
export function cacheFileFor(cacheDir: string, source: string, what: string): string {
  const st = fs.statSync(source);
  const key = createHash('sha256')
    .update(`${path.resolve(source)}\0${st.size}\0${st.mtimeMs}\0${what}`)
    .digest('hex')
    .slice(0, 24);
  const stem = path.basename(source).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60);
  return path.join(cacheDir, `${stem}-${key}.raw`);
}

/** A cache file being written: appended to, then published atomically with `commit()`. */
export class CacheWriter {
  private fd: number | undefined;
  private readonly partial: string;
  written = 0;

  constructor(readonly target: string, private readonly sourceLabel: string) {
    try {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      // A unique partial name lets two processes fill the same cache entry without clobbering.
      this.partial = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.partial`;
      this.fd = fs.openSync(this.partial, 'w');
    } catch (e) {
      throw new UserError(
        `${sourceLabel}: cannot write the decompressed copy to ${path.dirname(target)} (${describeFsError(e)}). Choose another cache folder.`,
      );
    }
  }

  /** Throws a UserError when the cache folder's disk has less than `bytes` free. */
  requireFree(bytes: number): void {
    let free: number;
    try {
      const st = fs.statfsSync(path.dirname(this.target));
      free = st.bavail * st.bsize;
    } catch {
      return; // Not knowing is not a reason to refuse; a full disk still fails on write.
    }
    if (free < bytes) {
      throw new UserError(
        `${this.sourceLabel}: decompressing it needs ${formatBytes(bytes)} in ${path.dirname(this.target)} but only ${formatBytes(free)} are free. Free some space or choose another cache folder.`,
      );
    }
  }

  /** Appends `chunk`. */
  async write(chunk: Uint8Array): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      const fd = this.fd;
      if (fd === undefined) throw new Error('write after close');
      const n = await new Promise<number>((resolve, reject) =>
        fs.write(fd, chunk, off, chunk.length - off, null, (err, w) => (err ? reject(this.wrap(err)) : resolve(w))),
      );
      off += n;
    }
    this.written += chunk.length;
  }

  /** Closes and renames the partial file to the target. */
  commit(): string {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    fs.renameSync(this.partial, this.target);
    return this.target;
  }

  /** Closes and deletes the partial file; safe to call after commit. */
  abort(): void {
    if (this.fd !== undefined) {
      fs.closeSync(this.fd);
      this.fd = undefined;
      fs.rmSync(this.partial, { force: true });
    }
  }

  private wrap(err: unknown): unknown {
    if (err && typeof err === 'object' && 'code' in err && err.code === 'ENOSPC') {
      return new UserError(`${this.sourceLabel}: the disk of ${path.dirname(this.target)} filled up while decompressing. Free some space or choose another cache folder.`);
    }
    return err;
  }
}

/** 1.5 GB style sizes for messages. */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let u = 0;
  while (n >= 1000 && u < units.length - 1) {
    n /= 1000;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${n.toFixed(1)} ${units[u]}`;
}
