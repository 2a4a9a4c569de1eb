/**
 * The extension's end of a webview's message channel, with the ready handshake: nothing is posted
 * before the page said `ready` (it would be lost), and every `ready` (a reload, a hidden page shown
 * again) asks the owner to send its whole state anew. So owners keep state, not a message queue.
 *
 * Hiding does not end the handshake: VS Code also reports a page hidden for a moment while it
 * moves or restores editor groups, without reloading it, and such a page would never say `ready`
 * again. Messages posted while a page is hidden are dropped by VS Code instead, so owners send
 * their state again when it becomes visible (`whenVisible`).
 */
import type * as vscode from 'vscode';

export interface ChannelHandlers<In> {
  /** The page listens (first load, or a reload): send it everything it should show. */
  onReady(): void;
  /** Any other message the page sent that passed the check. */
  onMessage(message: In): void;
}

export class WebviewChannel<Out, In extends { readonly type: string }> implements vscode.Disposable {
  private ready = false;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly webview: vscode.Webview,
    isMessage: (data: unknown) => data is In,
    handlers: ChannelHandlers<In>,
    private readonly log?: (line: string) => void,
  ) {
    this.subscription = webview.onDidReceiveMessage((data: unknown) => {
      if (!isMessage(data)) {
        this.log?.(`Ignored a malformed message from a webview: ${safeText(data)}`);
        return;
      }
      if (data.type === 'ready') {
        this.ready = true;
        handlers.onReady();
        return;
      }
      handlers.onMessage(data);
    });
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** Posts when the page has said `ready`; otherwise drops it (the next `ready` replays the state). */
  post(message: Out): void {
    if (!this.ready) return;
    // False or a rejection: the page is hidden or gone; the replay on visible or `ready` catches it up.
    this.webview.postMessage(message).then(undefined, () => undefined);
  }

  dispose(): void {
    this.ready = false;
    this.subscription.dispose();
  }
}

function safeText(data: unknown): string {
  try {
    return JSON.stringify(data).slice(0, 200);
  } catch {
    return String(data);
  }
}
