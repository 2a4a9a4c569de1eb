import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors';

/**
 * A file opened for positional reads. Raw fds (not FileHandle) so that `close()` can be
 * synchronous, as Dataset.close() is; reads after close are refused rather than hitting a reused fd.
 */
export class RandomAccessFile {
  private fd: number | undefined;
  readonly size: number;

  private constructor(readonly path: string, readonly label: string, fd: number, size: number) {
    this.fd = fd;
    this.size = size;
  }

  /** Opens `file` for reading; `label` names it in messages (defaults to the base name). */
  static open(file: string, label = path.basename(file)): RandomAccessFile {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (e) {
      throw new UserError(`${label}: cannot open the file (${describeFsError(e)}).`, file);
    }
    const size = fs.fstatSync(fd).size;
    return new RandomAccessFile(file, label, fd, size);
  }

  /** Reads exactly `length` bytes at `position` into a fresh (8-byte aligned) array. */
  async read(position: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    await this.readInto(out, 0, length, position);
    return out;
  }

  /** Reads exactly `length` bytes at `position` into out[offset...]. */
  async readInto(out: Uint8Array, offset: number, length: number, position: number): Promise<void> {
    if (position + length > this.size) {
      throw new UserError(
        `${this.label}: the file ends at byte ${this.size} but its contents need ${position + length}; it is truncated. Copy or download it again.`,
        this.path,
      );
    }
    let done = 0;
    while (done < length) {
      const fd = this.fd;
      if (fd === undefined) throw new Error(`${this.label}: read after close`);
      const n = await new Promise<number>((resolve, reject) =>
        fs.read(fd, out, offset + done, length - done, position + done, (err, bytes) =>
          err ? reject(err) : resolve(bytes),
        ),
      );
      if (n === 0) {
        throw new UserError(`${this.label}: the file became shorter while it was read; was it being written?`, this.path);
      }
      done += n;
    }
  }

  /** Synchronous read of up to `length` bytes at `position` (short at end of file); for headers. */
  readSyncAt(position: number, length: number): Uint8Array {
    if (this.fd === undefined) throw new Error(`${this.label}: read after close`);
    const len = Math.max(0, Math.min(length, this.size - position));
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const n = fs.readSync(this.fd, out, done, len - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done === len ? out : out.subarray(0, done);
  }

  /** Closes the file; idempotent. */
  close(): void {
    if (this.fd !== undefined) {
      const fd = this.fd;
      this.fd = undefined;
      fs.closeSync(fd);
    }
  }
}

/** The short reason of an fs error (ENOENT: no such file ...), without node's stack. */
export function describeFsError(e: unknown): string {
  if (e && typeof e === 'object' && 'code' in e) {
    const code = String((e as { code: unknown }).code);
    if (code === 'ENOENT') return 'it does not exist';
    if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
    if (code === 'EISDIR') return 'it is a folder';
    if (code === 'ENOSPC') return 'the disk is full';
    return code;
  }
  return e instanceof Error ? e.message : String(e);
}
