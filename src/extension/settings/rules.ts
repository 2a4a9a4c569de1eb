/**
 * The rules behind the extension's settings, free of `vscode` so the unit tests check them:
 * which value of a setting counts (untrusted workspaces never get to name an executable), how
 * paths in settings are read, and how loose JSON values become typed ones.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { BACKEND_PREFERENCES, BackendPreference } from '../../protocol/host';

/** Settings that name code to run: ignored from workspace settings until the workspace is trusted. */
export const EXECUTABLE_SETTINGS = ['linearLens.nodePath', 'linearLens.tfjsNodePath'] as const;
export type ExecutableSetting = (typeof EXECUTABLE_SETTINGS)[number];

/** Changing one of these restarts the compute host. */
export const HOST_SETTINGS = ['linearLens.backend', ...EXECUTABLE_SETTINGS] as const;

/** The values of one setting per level, as `WorkspaceConfiguration.inspect` gives them. */
export interface InspectedValue<T> {
  readonly defaultValue?: T;
  readonly globalValue?: T;
  readonly workspaceValue?: T;
  readonly workspaceFolderValue?: T;
}

export interface ResolvedExecutableSetting {
  /** The value to use, if any (empty strings count as unset). */
  readonly value?: string;
  /** True when a workspace-level value exists and was not used because the workspace is untrusted. */
  readonly ignoredWorkspaceValue: boolean;
}

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/**
 * A setting that names an executable or a folder to load code from. In a trusted workspace the
 * usual order applies (folder, workspace, user); in an untrusted one only the user's own value
 * counts, because a cloned repository's .vscode/settings.json must not choose what VS Code runs.
 */
export function resolveExecutableSetting(ins: InspectedValue<unknown> | undefined, trusted: boolean): ResolvedExecutableSetting {
  if (!ins) return { ignoredWorkspaceValue: false };
  const workspace = [ins.workspaceFolderValue, ins.workspaceValue].find(nonEmpty);
  const user = [ins.globalValue, ins.defaultValue].find(nonEmpty);
  if (trusted) {
    const value = workspace ?? user;
    return { ...(value !== undefined ? { value: value.trim() } : {}), ignoredWorkspaceValue: false };
  }
  return { ...(user !== undefined ? { value: user.trim() } : {}), ignoredWorkspaceValue: workspace !== undefined && workspace.trim() !== user?.trim() };
}

/**
 * Whether a settings file's text sets `key`. VS Code hides restricted settings' workspace values
 * from an untrusted workspace entirely, so the file itself is the only way to notice one was ignored.
 * A key inside a comment counts too: telling the user once too often is harmless.
 */
export function settingsTextMentions(text: string, key: string): boolean {
  return new RegExp(`"${key.replace(/\./g, '\\.')}"\\s*:\\s*"[^"\\s]`).test(text);
}

/** A path from a setting: `~` is the home folder, a relative path is relative to the workspace folder. */
export function settingPath(value: string, workspaceFolder: string | undefined, home = os.homedir()): string {
  let p = value.trim();
  if (p === '~' || p.startsWith('~/') || p.startsWith('~\\')) p = path.join(home, p.slice(1));
  if (!path.isAbsolute(p) && workspaceFolder) p = path.join(workspaceFolder, p);
  return path.normalize(p);
}

export function backendPreference(v: unknown): BackendPreference {
  return BACKEND_PREFERENCES.find((b) => b === v) ?? 'auto';
}

export type DatasetLayout = 'auto' | 'nhwc' | 'nchw' | 'flat';
const LAYOUTS: readonly DatasetLayout[] = ['auto', 'nhwc', 'nchw', 'flat'];

export function datasetLayout(v: unknown): DatasetLayout {
  return LAYOUTS.find((l) => l === v) ?? 'auto';
}

/** A finite positive number, or undefined (null and anything else mean "use the default"). */
export function positiveNumber(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}

/** An array of finite numbers; undefined when empty or malformed (a partly valid list would shift channels). */
export function numberList(v: unknown): number[] | undefined {
  if (!Array.isArray(v) || v.length === 0) return undefined;
  return v.every((x): x is number => typeof x === 'number' && Number.isFinite(x)) ? [...v] : undefined;
}

/** linearLens.maxSamples: a positive integer, 2000 when unset or invalid. */
export function maxSamples(v: unknown): number {
  const n = positiveNumber(v);
  return n === undefined ? 2000 : Math.max(1, Math.floor(n));
}
