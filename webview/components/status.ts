/** The panel's status line: busy (with progress) while a job runs, and errors with an optional Retry. */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';

export class StatusBar {
  readonly element: HTMLDivElement;
  private readonly busy: HTMLDivElement;
  private readonly busyText: HTMLSpanElement;
  private readonly error: HTMLDivElement;

  constructor(private readonly onRetry: () => void) {
    this.element = document.createElement('div');
    this.element.className = 'll-status';

    this.busy = document.createElement('div');
    this.busy.className = 'll-busy';
    this.busy.hidden = true;
    const ring = document.createElement('vscode-progress-ring');
    ring.setAttribute('aria-label', 'Computing');
    this.busyText = document.createElement('span');
    this.busyText.setAttribute('role', 'status');
    this.busy.append(ring, this.busyText);

    this.error = document.createElement('div');
    this.error.className = 'll-error';
    this.error.setAttribute('role', 'alert');
    this.error.hidden = true;
    this.element.append(this.busy, this.error);
  }

  /** Shows the busy state; `fraction` in [0, 1] when known. */
  setBusy(busy: boolean, fraction?: number, message?: string): void {
    this.busy.hidden = !busy;
    const pct = fraction === undefined ? '' : ` ${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%`;
    this.busyText.textContent = busy ? `${message ?? 'Computing…'}${pct}` : '';
  }

  showError(message: string, retry: boolean): void {
    this.setBusy(false);
    this.error.replaceChildren();
    const text = document.createElement('span');
    text.className = 'll-error-text';
    text.textContent = message;
    this.error.append(text);
    if (retry) {
      const b = document.createElement('vscode-button');
      b.textContent = 'Retry';
      b.dataset.action = 'retry';
      b.addEventListener('click', () => {
        this.clearError();
        this.onRetry();
      });
      this.error.append(b);
    }
    this.error.hidden = false;
  }

  clearError(): void {
    this.error.hidden = true;
    this.error.replaceChildren();
  }
}
