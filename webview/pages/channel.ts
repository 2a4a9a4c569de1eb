/**
 * The typed channel of the pages that are not figure panels (model overview, side view): checks
 * what arrives, posts what the page asks for, and says `ready` once its handler listens. Figure
 * panels use lib/messaging.ts instead; a page uses one or the other (acquireVsCodeApi may be
 * called once per page).
 */
import { WEBVIEW_PROTOCOL_VERSION, type ReadyMessage } from '../../src/protocol/webview';
import type { VsCodeApi } from '../lib/messaging';

export interface PageChannel<Out> {
  post(message: Out | ReadyMessage): void;
}

/** Listens with `onMessage` for messages that pass `isIncoming`, then sends `ready`. */
export function connectPage<In, Out>(isIncoming: (data: unknown) => data is In, onMessage: (message: In) => void): PageChannel<Out> {
  const api: VsCodeApi | undefined = typeof globalThis.acquireVsCodeApi === 'function' ? globalThis.acquireVsCodeApi() : undefined;
  // Outside VS Code (a page opened on its own) there is nobody to tell.
  const post = (message: Out | ReadyMessage): void => api?.postMessage(message);
  window.addEventListener('message', (e: MessageEvent) => {
    if (!isIncoming(e.data)) return;
    try {
      onMessage(e.data);
    } catch (err) {
      console.error('Linear Lens: page failed to handle a message', err);
    }
  });
  post({ type: 'ready', protocol: WEBVIEW_PROTOCOL_VERSION });
  return { post };
}
