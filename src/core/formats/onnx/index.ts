import { isUserError, UserError } from '../../errors';
import { Graph } from '../../graph/ir';
import { convertModel } from './convert';
import { decodeModel, looksLikeModelProto } from './proto';

/** True when the bytes are (the start of) a serialized ONNX ModelProto; decided by content only. */
export function looksLikeOnnx(bytes: Uint8Array): boolean {
  return looksLikeModelProto(bytes);
}

/** Loads an ONNX model file's bytes into the Graph IR; every problem with the file is a UserError naming it. */
export function loadOnnx(file: string, bytes: Uint8Array): Graph {
  let model;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    if (isUserError(e)) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new UserError(`${file}: is not a valid ONNX model: its protobuf data is truncated or corrupt (${why}). Re-export or re-download the file.`, file);
  }
  return convertModel(file, model);
}
