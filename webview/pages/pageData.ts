/** The start-up data the extension put into the page (a JSON <script>, see src/extension/webviewHtml.ts). */
import { PAGE_DATA_ELEMENT_ID, type JsonValue } from '../../src/protocol/webview';

export function readPageData(doc: Document = document): JsonValue | undefined {
  const el = doc.getElementById(PAGE_DATA_ELEMENT_ID);
  if (!el?.textContent) return undefined;
  try {
    return JSON.parse(el.textContent) as JsonValue;
  } catch {
    return undefined;
  }
}
