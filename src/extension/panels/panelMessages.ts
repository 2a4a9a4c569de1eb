/**
 * Checks of what an analysis panel's page sends (src/protocol/webview.ts). A webview is another
 * origin: its messages are checked for shape before anything acts on them.
 */
import { EXPORT_MIME, type ExportFormat, type WebviewToExtensionMessage } from '../../protocol/webview';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

export function isExportFormat(v: unknown): v is ExportFormat {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(EXPORT_MIME, v);
}

export function isPanelMessage(data: unknown): data is WebviewToExtensionMessage {
  if (!isObject(data)) return false;
  switch (data.type) {
    case 'ready': return typeof data.protocol === 'number';
    case 'retry': return true;
    case 'setState': return 'state' in data;
    case 'thumbnail': return typeof data.dataUrl === 'string';
    case 'export':
      return isExportFormat(data.format) && typeof data.fileName === 'string' && typeof data.data === 'string'
        && (data.encoding === 'base64' || data.encoding === 'utf8');
    case 'select': {
      const t = data.target;
      if (typeof data.figureId !== 'string' || !isObject(t)) return false;
      if (t.kind === 'pixel') return isIndex(t.row) && isIndex(t.col) && (t.image === undefined || isIndex(t.image));
      if (t.kind === 'bar') return isIndex(t.category) && isIndex(t.series);
      return false;
    }
    default: return false;
  }
}
