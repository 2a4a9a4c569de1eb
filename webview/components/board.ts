/**
 * A panel's figures built from protocol messages: `render` lays them out, `partial` grows curves,
 * `progress` and `error` drive the status line; clicks and Retry go back as messages. A panel that
 * needs nothing else is `mountPanel(document.getElementById('app')!)`.
 */
import type {
  ErrorMessage, FigureSpec, PartialMessage, ProgressMessage, RenderMessage, SelectTarget,
} from '../../src/protocol/webview';
import { getMessaging, type Messaging } from '../lib/messaging';
import { BarChart } from './barChart';
import type { Figure } from './figure';
import { figureFrame } from './frame';
import { Heatmap } from './heatmap';
import { ImageGrid } from './imageGrid';
import { LineChart } from './lineChart';
import { StatusBar } from './status';

/** A component for a spec; `onSelect` gets clicks on cells, pixels and bars. */
export function createFigure(spec: FigureSpec, onSelect?: (target: SelectTarget) => void): Figure {
  switch (spec.kind) {
    case 'line': return new LineChart(spec);
    case 'heatmap': return new Heatmap(spec, { onSelect });
    case 'imageGrid': return new ImageGrid(spec, { onSelect });
    case 'bar': return new BarChart(spec, { onSelect });
  }
}

export interface BoardOptions {
  messaging?: Messaging;
  /** Also told of every click (the extension gets a `select` message regardless). */
  onSelect?: (figureId: string, target: SelectTarget) => void;
}

export class FigureBoard {
  readonly element: HTMLDivElement;
  readonly status: StatusBar;
  private readonly heading: HTMLHeadingElement;
  private readonly grid: HTMLDivElement;
  private readonly messaging: Messaging;
  private readonly byId = new Map<string, Figure>();

  constructor(root: HTMLElement, private readonly options: BoardOptions = {}) {
    this.messaging = options.messaging ?? getMessaging();
    this.element = document.createElement('div');
    this.element.className = 'll-board';
    this.heading = document.createElement('h1');
    this.heading.className = 'll-heading';
    this.heading.hidden = true;
    this.status = new StatusBar(() => this.messaging.post({ type: 'retry' }));
    this.grid = document.createElement('div');
    this.grid.className = 'll-figures';
    this.element.append(this.heading, this.status.element, this.grid);
    root.append(this.element);
  }

  figure(id: string): Figure | undefined {
    return this.byId.get(id);
  }

  figures(): Figure[] {
    return [...this.byId.values()];
  }

  render(msg: RenderMessage): void {
    this.clear();
    this.heading.textContent = msg.title ?? '';
    this.heading.hidden = !msg.title;
    this.status.clearError();
    this.status.setBusy(msg.status === 'running');
    for (const spec of msg.figures) {
      try {
        const fig = createFigure(spec, (target) => this.select(spec.id, target));
        this.byId.set(spec.id, fig);
        this.grid.append(figureFrame(fig, this.messaging, { onError: (m) => this.status.showError(m, false) }));
      } catch (err) {
        // A malformed figure is a bug on the extension side; show it in place of the figure.
        this.status.showError(`Figure '${spec.title}' could not be drawn: ${err instanceof Error ? err.message : String(err)}`, false);
      }
    }
  }

  /** Adds a streamed point; false when no curve of that figure exists. */
  applyPartial(msg: PartialMessage): boolean {
    const fig = this.byId.get(msg.figureId);
    if (!(fig instanceof LineChart)) {
      console.warn(`Linear Lens: partial result for unknown curve figure '${msg.figureId}'`);
      return false;
    }
    fig.appendById(msg.seriesId, msg.point);
    return true;
  }

  progress(msg: ProgressMessage): void {
    this.status.setBusy(msg.fraction < 1, msg.fraction, msg.message);
  }

  error(msg: ErrorMessage): void {
    this.status.showError(msg.message, msg.retry === true);
  }

  clear(): void {
    for (const f of this.byId.values()) f.destroy();
    this.byId.clear();
    this.grid.replaceChildren();
  }

  private select(figureId: string, target: SelectTarget): void {
    this.messaging.post({ type: 'select', figureId, target });
    this.options.onSelect?.(figureId, target);
  }
}

/** A board wired to the extension: handles every incoming message, then sends `ready`. */
export function mountPanel(root: HTMLElement, options: BoardOptions = {}): FigureBoard {
  const messaging = options.messaging ?? getMessaging();
  const board = new FigureBoard(root, { ...options, messaging });
  messaging.on('render', (m) => board.render(m));
  messaging.on('partial', (m) => board.applyPartial(m));
  messaging.on('progress', (m) => board.progress(m));
  messaging.on('error', (m) => board.error(m));
  messaging.ready();
  return board;
}
