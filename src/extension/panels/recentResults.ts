/**
 * The recent results the side view lists, newest first, kept per workspace (workspaceState) with
 * the thumbnail each panel sent of its first figure.
 */
import * as vscode from 'vscode';
import type { PanelState, RecentResult } from '../services';
import { isPanelState, isThumbnail } from './panelState';

const STORAGE_KEY = 'linearLens.recentResults';
/** Entries kept; the side view shows them all. */
export const RECENT_LIMIT = 12;
function isRecentResult(v: unknown): v is RecentResult {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return isPanelState(r.state) && typeof r.finished === 'number' && (r.thumbnail === undefined || isThumbnail(r.thumbnail));
}

export class RecentResults implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange: vscode.Event<void> = this.changed.event;
  private items: RecentResult[];

  constructor(private readonly memento: vscode.Memento) {
    const stored = memento.get<unknown>(STORAGE_KEY);
    this.items = Array.isArray(stored) ? stored.filter(isRecentResult).slice(0, RECENT_LIMIT) : [];
  }

  list(): readonly RecentResult[] {
    return this.items;
  }

  find(key: string): RecentResult | undefined {
    return this.items.find((r) => r.state.key === key);
  }

  /** Puts a finished result first (keeping its thumbnail when it was listed already). */
  add(state: PanelState, finished: number = Date.now()): void {
    const old = this.find(state.key);
    const entry: RecentResult = { state, finished, ...(old?.thumbnail ? { thumbnail: old.thumbnail } : {}) };
    this.items = [entry, ...this.items.filter((r) => r.state.key !== state.key)].slice(0, RECENT_LIMIT);
    this.save();
  }

  /** Stores the picture of a listed result; ignored for unlisted keys and for anything not a small PNG. */
  setThumbnail(key: string, dataUrl: string): boolean {
    if (!isThumbnail(dataUrl)) return false;
    const i = this.items.findIndex((r) => r.state.key === key);
    if (i < 0 || this.items[i]!.thumbnail === dataUrl) return false;
    this.items = this.items.map((r, j) => (j === i ? { ...r, thumbnail: dataUrl } : r));
    this.save();
    return true;
  }

  remove(key: string): void {
    const before = this.items.length;
    this.items = this.items.filter((r) => r.state.key !== key);
    if (this.items.length !== before) this.save();
  }

  dispose(): void {
    this.changed.dispose();
  }

  private save(): void {
    // The list in memory is the truth; the write-behind only matters for the next session.
    void this.memento.update(STORAGE_KEY, this.items);
    this.changed.fire();
  }
}
