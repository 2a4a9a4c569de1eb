/**
 * Looks at a folder the user points Linear Lens at and says whether it holds an installed
 * @tensorflow/tfjs-node-gpu (or @tensorflow/tfjs-node), resolved the way the compute host resolves
 * it (core/tf/backend.ts: require.resolve from inside the folder), and whether its native part is
 * there. Reads files only; nothing is loaded into the editor's process.
 */
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const TFJS_NODE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

export type TfjsNodeFolder =
  | {
      readonly ok: true;
      readonly packageName: (typeof TFJS_NODE_PACKAGES)[number];
      readonly version: string;
      /** The package's own folder. */
      readonly packageDir: string;
      /** Why the native part looks incomplete, when it does (the host will say exactly). */
      readonly nativeProblem?: string;
    }
  | { readonly ok: false; readonly reason: string };

/** Finds tfjs-node(-gpu) for `dir` (the folder holding node_modules, or the package folder itself). */
export function inspectTfjsNodeFolder(dir: string): TfjsNodeFolder {
  try {
    if (!fs.statSync(dir).isDirectory()) return { ok: false, reason: `${dir} is not a folder` };
  } catch {
    return { ok: false, reason: `${dir} does not exist` };
  }
  const req = createRequire(path.join(dir, 'noop.js'));
  for (const name of TFJS_NODE_PACKAGES) {
    let manifest: string;
    try {
      manifest = req.resolve(`${name}/package.json`);
    } catch {
      continue;
    }
    const packageDir = path.dirname(manifest);
    let version = '?';
    try {
      const parsed: unknown = JSON.parse(fs.readFileSync(manifest, 'utf8'));
      if (parsed && typeof parsed === 'object' && 'version' in parsed && typeof parsed.version === 'string') version = parsed.version;
    } catch {
      // an unreadable manifest: the host's load attempt will say more
    }
    const nativeProblem = nativePartProblem(packageDir);
    return { ok: true, packageName: name, version, packageDir, ...(nativeProblem ? { nativeProblem } : {}) };
  }
  return {
    ok: false,
    reason: `${dir} holds no ${TFJS_NODE_PACKAGES.join(' or ')} (looked in ${path.join(dir, 'node_modules')} and the folders above it)`,
  };
}

/** The binding (lib/napi-v*\/tfjs_binding.node) is what the package's install script builds or downloads. */
function nativePartProblem(packageDir: string): string | undefined {
  const lib = path.join(packageDir, 'lib');
  let napi: string[] = [];
  try {
    napi = fs.readdirSync(lib).filter((d) => /^napi-v\d+$/.test(d));
  } catch {
    // no lib folder at all
  }
  if (napi.some((d) => fs.existsSync(path.join(lib, d, 'tfjs_binding.node')))) return undefined;
  return `its native part (lib/napi-v*/tfjs_binding.node) is missing: its install script did not finish (it downloads libtensorflow)`;
}
