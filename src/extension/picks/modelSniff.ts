/**
 * Cheap content checks of model file candidates found by name: the first bytes only, enough to
 * drop files that cannot be models (a dataset saved as .h5 is still HDF5 and passes; the host's
 * full sniffing decides later and says why it refuses one). No `vscode` here.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const ZIP_LOCAL_HEADER = [0x50, 0x4b, 0x03, 0x04];
/** HDF5 files may start with a user block of 512, 1024, 2048... bytes before the signature. */
const HDF5_OFFSETS = [0, 512, 1024, 2048];

/** Bytes to read for a file of this name: model.json may list many keys before "modelTopology". */
export function headBytesFor(fileName: string): number {
  return path.basename(fileName).toLowerCase() === 'model.json' ? 65536 : 2056;
}

function startsWith(head: Uint8Array, magic: readonly number[], at = 0): boolean {
  return head.length >= at + magic.length && magic.every((b, i) => head[at + i] === b);
}

/** Whether a file of this name with these first bytes can be a model Linear Lens reads. */
export function looksLikeModel(fileName: string, head: Uint8Array): boolean {
  const name = path.basename(fileName).toLowerCase();
  if (name.endsWith('.weights.h5')) return false; // Keras' weights-only files: no architecture to read
  if (name.endsWith('.h5')) return HDF5_OFFSETS.some((at) => startsWith(head, HDF5_MAGIC, at));
  if (name.endsWith('.keras')) return startsWith(head, ZIP_LOCAL_HEADER);
  if (name === 'model.json') {
    const text = new TextDecoder().decode(head).replace(/^\uFEFF/, '').trimStart();
    return text.startsWith('{') && text.includes('"modelTopology"');
  }
  // Protobuf has no magic number; an empty file is the only cheap refusal.
  if (name.endsWith('.onnx')) return head.length > 0;
  return false;
}

/** Reads the first bytes of `file` and checks them; false when it cannot be read. */
export async function isModelFile(file: string): Promise<boolean> {
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(file, 'r');
    const buf = new Uint8Array(headBytesFor(file));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return looksLikeModel(file, buf.subarray(0, bytesRead));
  } catch {
    return false;
  } finally {
    await fh?.close();
  }
}
