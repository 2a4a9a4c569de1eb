import { UserError } from '../errors';

/** Deepest nesting a model's JSON may have; real configs stay far below. */
export const MAX_JSON_DEPTH = 512;

/**
 * Parses JSON text from a model file (model.json, an HDF5 attribute, a zip entry). Nesting depth
 * is measured before JSON.parse runs, so hostile nesting cannot blow the stack. `what` names the
 * part of the file in messages ("the file", "its model_config attribute").
 */
export function parseJsonText(file: string, text: string, what = 'JSON'): unknown {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) max = Math.max(max, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  if (max > MAX_JSON_DEPTH) throw new UserError(`${file}: its ${what} is nested ${max} levels deep; a model is never that deep, so it is refused.`, file);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: its ${what} is not valid JSON (${e instanceof Error ? e.message : String(e)}).`, file);
  }
}

/** Parses a whole file's bytes as UTF-8 JSON. */
export function parseJson(file: string, bytes: Uint8Array): unknown {
  return parseJsonText(file, new TextDecoder('utf-8', { fatal: false }).decode(bytes), 'JSON');
}
