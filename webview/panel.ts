/**
 * An analysis panel's page: the shared figure board (render, partial, progress, error, Retry,
 * clicks, exports), the result tables under it, the state VS Code keeps for restoring the panel
 * after a reload, and a thumbnail of the first figure once a result is finished.
 */
import type { JsonValue, RenderMessage } from '../src/protocol/webview';
import { mountPanel } from './components/board';
import { getMessaging } from './lib/messaging';
import { currentTheme } from './lib/theme';
import { readPageData } from './pages/pageData';
import { ResultTables } from './pages/resultTables';
import { thumbnailOf } from './pages/thumbnail';
import './pages/tables.css';
import './pages/panel.css';

const messaging = getMessaging();
const root = document.getElementById('app') ?? document.body;

// VS Code hands this state to the extension's serializer when it restores the panel.
const data: JsonValue | undefined = readPageData();
if (data !== undefined && JSON.stringify(messaging.getState()) !== JSON.stringify(data)) messaging.setState(data);

const board = mountPanel(root, { messaging });
const tables = new ResultTables(messaging, (m) => board.status.showError(m, false));
board.element.append(tables.element);

let thumbnailFor: RenderMessage | undefined;

messaging.on('render', (m) => {
  tables.render(m.tables ?? []);
  root.setAttribute('aria-busy', String(m.status === 'running'));
  if (m.status !== 'running' && m.figures.length > 0 && thumbnailFor !== m) {
    thumbnailFor = m;
    // After layout: figures size themselves to the panel in the next frame.
    requestAnimationFrame(() => requestAnimationFrame(() => void sendThumbnail(m)));
  }
});

async function sendThumbnail(m: RenderMessage): Promise<void> {
  const first = board.figures()[0];
  if (!first || thumbnailFor !== m) return;
  try {
    messaging.post({ type: 'thumbnail', dataUrl: await thumbnailOf(first, currentTheme()) });
  } catch (err) {
    // Only the side view's picture is missing; the panel itself is fine.
    console.warn('Linear Lens: could not make the panel thumbnail', err);
  }
}
