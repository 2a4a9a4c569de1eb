/** A figure in the page: <figure> with its caption and an export toolbar (PNG, SVG, CSV, JSON). */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { ExportFormat } from '../../src/protocol/webview';
import { exportFigure, formatsOf } from '../lib/export';
import type { Messaging } from '../lib/messaging';
import type { Figure } from './figure';

const FORMAT_HELP: Record<ExportFormat, string> = {
  png: 'Save as PNG image (light background, 2× resolution)',
  svg: 'Save as SVG vector image (light background)',
  csv: 'Save the data as CSV',
  json: 'Save the data as JSON',
};

let frameCount = 0;

export interface FrameOptions {
  /** Called when an export fails (the frame shows nothing itself). */
  onError?: (message: string) => void;
}

/** Wraps `fig.element` with a caption and export buttons; the returned node goes into the page. */
export function figureFrame(fig: Figure, messaging: Messaging, options: FrameOptions = {}): HTMLElement {
  const frame = document.createElement('figure');
  frame.className = 'll-figure';
  frame.dataset.figureId = fig.id;
  const captionId = `ll-caption-${++frameCount}`;
  frame.setAttribute('aria-labelledby', captionId);

  const head = document.createElement('div');
  head.className = 'll-figure-head';
  const caption = document.createElement('figcaption');
  caption.id = captionId;
  caption.textContent = fig.title;
  caption.title = fig.title;
  head.append(caption, exportToolbar(fig, messaging, options));
  frame.append(head, fig.element);
  return frame;
}

export function exportToolbar(fig: Figure, messaging: Messaging, options: FrameOptions = {}): HTMLElement {
  const bar = document.createElement('div');
  bar.className = 'll-toolbar';
  bar.setAttribute('role', 'toolbar');
  bar.setAttribute('aria-label', `Export ${fig.title}`);
  for (const format of formatsOf(fig)) {
    const b = document.createElement('vscode-button');
    b.setAttribute('secondary', '');
    b.dataset.export = format;
    b.textContent = format.toUpperCase();
    b.title = FORMAT_HELP[format];
    b.setAttribute('aria-label', `${FORMAT_HELP[format]}: ${fig.title}`);
    b.addEventListener('click', () => {
      b.setAttribute('disabled', '');
      exportFigure(messaging, fig, format)
        .catch((err: unknown) => options.onError?.(`Could not export '${fig.title}' as ${format.toUpperCase()}: ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => b.removeAttribute('disabled'));
    });
    bar.append(b);
  }
  return bar;
}
