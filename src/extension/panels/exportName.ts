/** What an export message becomes on disk: a safe file name and its bytes (pure, unit-tested). */
import type { ExportFormat, ExportMessage } from '../../protocol/webview';

/**
 * A file name from the page, made safe: no folders, no characters file systems refuse, the
 * format's extension.
 */
export function safeExportName(fileName: string, format: ExportFormat): string {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  let name = base.replace(/[\u0000-\u001f<>:"|?*]+/g, '-').replace(/^[.\s]+/, '').trim().slice(0, 120);
  if (!name) name = 'figure';
  return name.toLowerCase().endsWith(`.${format}`) ? name : `${name}.${format}`;
}

export function exportBytes(msg: ExportMessage): Uint8Array {
  return msg.encoding === 'base64' ? Buffer.from(msg.data, 'base64') : Buffer.from(msg.data, 'utf8');
}
