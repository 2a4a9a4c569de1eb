import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { CancelledError, UserError } from '../errors';
import { throwIfCancelled, type WorkContext } from '../progress';
import { CacheWriter, cacheFileFor, formatBytes } from './cache';
import { idxDeclaredSize, isIdx } from './idx';
import { isNpy, npyDeclaredSize } from './npy';
import { BOMB_MIN_BYTES, BOMB_RATIO } from './npz';

/** True when `head` starts with the gzip magic 1f 8b. */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** Enough decompressed bytes to see any IDX or .npy header. */
const HEAD_BYTES = 64 * 1024;

/**
 * Decompresses a gzip file into the cache (once; later opens reuse it) and returns the copy's path.
 *
 * Why a file and not memory or a sequential stream: batches, subsets and `sample(i)` need random
 * access, and the data may be larger than memory. As soon as the inner IDX/.npy header is seen, its
 * declared size is checked against free disk space and enforced, so a gzip bomb or a damaged
 * header fails early instead of filling the disk.
 */
export async function gunzipToCache(source: string, label: string, cacheDir: string, ctx?: WorkContext): Promise<string> {
  const target = cacheFileFor(cacheDir, source, 'gunzip');
  if (fs.existsSync(target)) return target;
  const total = fs.statSync(source).size;
  const input = fs.createReadStream(source, { highWaterMark: 1 << 20 });
  const gunzip = zlib.createGunzip();
  input.on('error', (e) => gunzip.destroy(e));
  input.pipe(gunzip);
  const out = new CacheWriter(target, label);
  let head: Uint8Array = new Uint8Array(0);
  let declared: number | undefined;
  let headDone = false;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      throwIfCancelled(ctx);
      if (!headDone) {
        head = concat(head, chunk.subarray(0, HEAD_BYTES));
        if (head.length >= HEAD_BYTES) {
          headDone = true;
          declared = declaredSize(head);
          if (declared !== undefined) out.requireFree(declared);
        }
      }
      await out.write(chunk);
      if (out.written > BOMB_MIN_BYTES && out.written > BOMB_RATIO * total) {
        throw new UserError(
          `${label}: decompresses to more than ${formatBytes(out.written)} from ${formatBytes(total)}; no real data compresses that well, so this looks like a gzip bomb and is refused.`,
          source,
        );
      }
      if (declared !== undefined && out.written > declared) {
        throw new UserError(
          `${label}: decompresses to more than the ${formatBytes(declared)} its header declares; the file is damaged. Download it again.`,
          source,
        );
      }
      ctx?.progress?.(Math.min(1, input.bytesRead / Math.max(1, total)), `Decompressing ${label}`);
    }
    return out.commit();
  } catch (e) {
    out.abort();
    input.destroy();
    gunzip.destroy();
    if (e instanceof UserError || e instanceof CancelledError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new UserError(`${label}: the gzip data is damaged (${msg}). Download the file again.`, source);
  }
}

function declaredSize(head: Uint8Array): number | undefined {
  if (isIdx(head)) return idxDeclaredSize(head);
  if (isNpy(head)) return npyDeclaredSize(head);
  return undefined;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
