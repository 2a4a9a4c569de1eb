/**
 * Saving a figure: PNG (paper theme, 2×), SVG for vector figures, and its data as CSV and JSON.
 * Webviews cannot download (an <a download> does nothing there), so inside VS Code the file goes to
 * the extension as an `export` message and it shows a save dialog; the standalone gallery falls
 * back to a Blob URL download, which tests intercept.
 */
import { EXPORT_MIME, type ExportFormat, type ExportMessage } from '../../src/protocol/webview';
import type { Figure } from '../components/figure';
import type { Messaging } from './messaging';
import { PAPER_THEME } from './theme';

/** Exported PNGs are drawn at this many pixels per CSS pixel: sharp in print and on slides. */
export const PNG_SCALE = 2;

export interface ExportFile {
  readonly fileName: string;
  readonly format: ExportFormat;
  /** Binary formats as a Blob, text formats as a string. */
  readonly data: Blob | string;
}

export function formatsOf(fig: Figure): ExportFormat[] {
  return fig.vector ? ['png', 'svg', 'csv', 'json'] : ['png', 'csv', 'json'];
}

/** A file name from a title: lower case, dashes, no characters file systems dislike. */
export function fileNameFor(title: string, format: ExportFormat): string {
  const base = title.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9α-ω]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80);
  return `${base || 'figure'}.${format}`;
}

/** Renders one export of a figure. */
export async function figureFile(fig: Figure, format: ExportFormat): Promise<ExportFile> {
  const fileName = fileNameFor(fig.title, format);
  switch (format) {
    case 'png': return { fileName, format, data: await fig.toPng(PAPER_THEME, PNG_SCALE) };
    case 'svg': return { fileName, format, data: fig.toSvg(PAPER_THEME) };
    case 'csv': return { fileName, format, data: fig.toCsv() };
    case 'json': return { fileName, format, data: JSON.stringify(fig.toJson(), null, 2) + '\n' };
  }
}

/** Hands a file to the extension (VS Code) or to the browser's downloads (standalone). */
export async function saveFile(messaging: Messaging, file: ExportFile, figureId?: string): Promise<void> {
  if (messaging.inVsCode) {
    messaging.post(await exportMessage(file, figureId));
    return;
  }
  const blob = typeof file.data === 'string' ? new Blob([file.data], { type: EXPORT_MIME[file.format] }) : file.data;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = file.fileName;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // The download has started from the click; revoking at once can cancel it in some browsers.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function exportMessage(file: ExportFile, figureId?: string): Promise<ExportMessage> {
  const binary = typeof file.data !== 'string';
  return {
    type: 'export',
    format: file.format,
    fileName: file.fileName,
    encoding: binary ? 'base64' : 'utf8',
    data: binary ? toBase64(new Uint8Array(await (file.data as Blob).arrayBuffer())) : (file.data as string),
    ...(figureId ? { figureId } : {}),
  };
}

export async function exportFigure(messaging: Messaging, fig: Figure, format: ExportFormat): Promise<void> {
  await saveFile(messaging, await figureFile(fig, format), fig.id);
}

export function toBase64(bytes: Uint8Array): string {
  // btoa takes a binary string; build it in chunks (one call per byte is slow, one huge
  // String.fromCharCode(...bytes) overflows the stack).
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
