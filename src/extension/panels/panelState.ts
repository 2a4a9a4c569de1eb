/**
 * The small state a panel is restored from (PanelState), as the webview keeps it and as recent
 * results store it. Anything read back from storage is checked here before use: it may come from
 * an older version or be damaged.
 */
import { WEBVIEW_PROTOCOL_VERSION, type JsonValue, type PanelPageData } from '../../protocol/webview';
import type { PanelState } from '../services';
import { isCacheKey } from './resultCache';

export function isPanelState(v: unknown): v is PanelState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return typeof s.kind === 'string' && s.kind.length > 0
    && typeof s.title === 'string'
    && Array.isArray(s.models) && s.models.every((m) => typeof m === 'string')
    && typeof s.key === 'string' && isCacheKey(s.key)
    && 'params' in s;
}

/** PanelState as JSON (params must be JSON: they travel through webview state and storage). */
export function panelStateJson(state: PanelState): JsonValue {
  return JSON.parse(JSON.stringify(state)) as JsonValue;
}

/** What the panel's page keeps with setState, and hands back to the serializer after a reload. */
export function panelPageData(state: PanelState): PanelPageData {
  return { protocol: WEBVIEW_PROTOCOL_VERSION, panel: panelStateJson(state) };
}

/** The PanelState inside what the serializer got, or undefined when it is not one. */
export function panelStateFromWebview(saved: unknown): PanelState | undefined {
  if (typeof saved !== 'object' || saved === null) return undefined;
  const panel = (saved as Record<string, unknown>).panel;
  return isPanelState(panel) ? panel : undefined;
}

/** A thumbnail is a small PNG; anything bigger is not one we made (and would bloat the state). */
export const THUMBNAIL_MAX_CHARS = 96 * 1024;

export function isThumbnail(v: unknown): v is string {
  return typeof v === 'string' && v.length <= THUMBNAIL_MAX_CHARS && /^data:image\/png;base64,[A-Za-z0-9+/]+={0,2}$/.test(v);
}
