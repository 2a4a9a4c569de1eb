/**
 * The side view's sections from the services' state: plain data for the page
 * (src/protocol/sideView.ts). Pure functions of their inputs.
 */
import * as path from 'node:path';
import type * as vscode from 'vscode';
import type { SideViewHost, SideViewJob, SideViewModel, SideViewRecent } from '../../protocol/sideView';
import type { HostState, JobView, RecentResult } from '../services';

export function hostSection(s: HostState): SideViewHost {
  const info = s.info;
  return {
    status: s.status,
    restarts: s.recentCrashes,
    ...(s.reason ? { reason: s.reason } : {}),
    ...(info ? {
      device: info.backend.device,
      pid: info.pid,
      rss: info.memory.rss,
      tfBytes: info.memory.tfBytes,
      tfTensors: info.memory.tfTensors,
    } : {}),
  };
}

export function jobsSection(jobs: readonly JobView[]): SideViewJob[] {
  return [...jobs]
    .sort((a, b) => a.started - b.started)
    .map((j) => ({ id: j.id, title: j.title, fraction: j.fraction, started: j.started, ...(j.message ? { message: j.message } : {}) }));
}

export function recentSection(recent: readonly RecentResult[]): SideViewRecent[] {
  return recent.map((r) => ({
    key: r.state.key,
    title: r.state.title,
    kind: r.state.kind,
    models: r.state.models,
    finished: r.finished,
    ...(r.thumbnail ? { thumbnail: r.thumbnail } : {}),
  }));
}

/** Model files by workspace-relative path; `relative` is vscode.workspace.asRelativePath. */
export function modelsSection(files: readonly vscode.Uri[], relative: (u: vscode.Uri) => string): SideViewModel[] {
  return files
    .map((u) => ({ uri: u.toString(), path: relative(u), name: path.basename(u.path) }))
    .sort((a, b) => a.path.localeCompare(b.path));
}
