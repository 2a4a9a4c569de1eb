/**
 * The panel's side of the typed message channel to the extension. Inside VS Code it goes through
 * acquireVsCodeApi(); in the standalone gallery (tests, screenshots) through a test host object,
 * or the parent frame when embedded, so the same panel code runs in both.
 */
import {
  WEBVIEW_PROTOCOL_VERSION,
  type ExtensionToWebviewMessage,
  type JsonValue,
  type WebviewToExtensionMessage,
} from '../../src/protocol/webview';

/** What acquireVsCodeApi() returns. */
export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState<T>(state: T): T;
}

/** Where messages go outside VS Code: tests install one as `window.__linearLensHost`. */
export interface TestHost {
  postMessage(message: WebviewToExtensionMessage): void;
}

declare global {
  // Declared by VS Code in webviews; may be called once only.
  // eslint-disable-next-line no-var
  var acquireVsCodeApi: (() => VsCodeApi) | undefined;
  // eslint-disable-next-line no-var
  var __linearLensHost: TestHost | undefined;
}

export type IncomingType = ExtensionToWebviewMessage['type'];
export type IncomingOf<K extends IncomingType> = Extract<ExtensionToWebviewMessage, { type: K }>;

export interface Messaging {
  /** True inside a VS Code webview: exports must go to the extension (no downloads there). */
  readonly inVsCode: boolean;
  post(message: WebviewToExtensionMessage): void;
  /**
   * Calls `handler` for every message of `type`; messages of that type that arrived before anyone
   * listened are delivered now. Returns the function that stops listening.
   */
  on<K extends IncomingType>(type: K, handler: (message: IncomingOf<K>) => void): () => void;
  /** Tells the extension the panel listens. Idempotent: the handshake happens once. */
  ready(): void;
  getState(): JsonValue | undefined;
  /** Keeps `state` for restore and tells the extension about it. */
  setState(state: JsonValue): void;
  dispose(): void;
}

const INCOMING: ReadonlySet<string> = new Set<IncomingType>(['render', 'partial', 'progress', 'error']);
// Messages that came before any handler: kept so the first handler sees them, but bounded (a
// panel that never listens for 'partial' must not grow without end).
const BACKLOG_LIMIT = 1000;

/** A structural check of an incoming message; anything else posted to the window is ignored. */
export function isExtensionMessage(data: unknown): data is ExtensionToWebviewMessage {
  if (typeof data !== 'object' || data === null) return false;
  const m = data as Record<string, unknown>;
  if (typeof m.type !== 'string' || !INCOMING.has(m.type)) return false;
  switch (m.type) {
    case 'render': return Array.isArray(m.figures);
    case 'partial': {
      const p = m.point as Record<string, unknown> | null | undefined;
      return typeof m.figureId === 'string' && typeof m.seriesId === 'string'
        && typeof p === 'object' && p !== null && typeof p.x === 'number' && typeof p.y === 'number';
    }
    case 'progress': return typeof m.fraction === 'number';
    case 'error': return typeof m.message === 'string';
    default: return false;
  }
}

export interface MessagingEnv {
  api?: VsCodeApi;
  window?: Window;
}

export function createMessaging(env: MessagingEnv = {}): Messaging {
  const win = env.window ?? window;
  const api = env.api ?? (typeof globalThis.acquireVsCodeApi === 'function' ? globalThis.acquireVsCodeApi() : undefined);
  const handlers = new Map<IncomingType, Set<(m: ExtensionToWebviewMessage) => void>>();
  const backlog: ExtensionToWebviewMessage[] = [];
  let localState: JsonValue | undefined;
  let readySent = false;

  const deliver = (m: ExtensionToWebviewMessage): void => {
    const hs = handlers.get(m.type);
    if (!hs || hs.size === 0) {
      if (backlog.length < BACKLOG_LIMIT) backlog.push(m);
      return;
    }
    for (const h of [...hs]) {
      try {
        h(m);
      } catch (err) {
        console.error(`Linear Lens: handler for '${m.type}' failed`, err);
      }
    }
  };
  const onMessage = (e: MessageEvent): void => {
    if (isExtensionMessage(e.data)) deliver(e.data);
  };
  win.addEventListener('message', onMessage);

  const post = (message: WebviewToExtensionMessage): void => {
    if (api) api.postMessage(message);
    else if (globalThis.__linearLensHost) globalThis.__linearLensHost.postMessage(message);
    else if (win.parent && win.parent !== win) win.parent.postMessage(message, '*');
    // Standalone and top level: nobody to tell, which is fine for a gallery page.
  };

  return {
    inVsCode: api !== undefined,
    post,
    on(type, handler) {
      let hs = handlers.get(type);
      if (!hs) handlers.set(type, (hs = new Set()));
      const h = handler as (m: ExtensionToWebviewMessage) => void;
      hs.add(h);
      for (let i = 0; i < backlog.length;) {
        if (backlog[i]!.type === type) deliver(backlog.splice(i, 1)[0]!);
        else i++;
      }
      return () => { hs.delete(h); };
    },
    ready() {
      if (readySent) return;
      readySent = true;
      post({ type: 'ready', protocol: WEBVIEW_PROTOCOL_VERSION });
    },
    getState() {
      if (api) return (api.getState() ?? undefined) as JsonValue | undefined;
      return localState;
    },
    setState(state) {
      if (api) api.setState(state);
      else localState = state;
      post({ type: 'setState', state });
    },
    dispose() {
      win.removeEventListener('message', onMessage);
      handlers.clear();
      backlog.length = 0;
    },
  };
}

let shared: Messaging | null = null;

/** The panel's one channel (acquireVsCodeApi may only be called once per webview). */
export function getMessaging(): Messaging {
  return (shared ??= createMessaging());
}
