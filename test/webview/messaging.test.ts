// The messaging client against a stand-in window and VS Code API (node; the browser tests cover
// the real window).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMessaging, isExtensionMessage, type VsCodeApi } from '../../webview/lib/messaging';
import type { ExtensionToWebviewMessage, WebviewToExtensionMessage } from '../../src/protocol/webview';

function fakeWindow(): Window & { parentPosts: unknown[] } {
  const target = new EventTarget() as unknown as Window & { parentPosts: unknown[] };
  const parentPosts: unknown[] = [];
  Object.assign(target, { parentPosts, parent: { postMessage: (m: unknown) => parentPosts.push(m) } });
  return target;
}

function fakeApi(): VsCodeApi & { posted: WebviewToExtensionMessage[]; state: unknown } {
  const api = {
    posted: [] as WebviewToExtensionMessage[],
    state: undefined as unknown,
    postMessage(m: unknown) { api.posted.push(m as WebviewToExtensionMessage); },
    getState() { return api.state; },
    setState<T>(s: T) { api.state = s; return s; },
  };
  return api;
}

const incoming = (win: Window, data: unknown): void => { win.dispatchEvent(new MessageEvent('message', { data })); };

describe('messaging', () => {
  test('ready is sent once, with the protocol version', () => {
    const api = fakeApi();
    const m = createMessaging({ api, window: fakeWindow() });
    assert.equal(m.inVsCode, true);
    m.ready();
    m.ready();
    assert.deepEqual(api.posted, [{ type: 'ready', protocol: 1 }]);
  });

  test('typed handlers get their messages; junk and unknown types are ignored', () => {
    const win = fakeWindow();
    const m = createMessaging({ api: fakeApi(), window: win });
    const got: ExtensionToWebviewMessage[] = [];
    const stop = m.on('partial', (p) => got.push(p));
    incoming(win, { type: 'partial', figureId: 'f', seriesId: 's', point: { x: 0.1, y: 2 } });
    incoming(win, { type: 'partial', figureId: 'f', seriesId: 's', point: { x: 'no', y: 2 } });
    incoming(win, { type: 'hack', payload: 1 });
    incoming(win, 'a string');
    incoming(win, null);
    assert.equal(got.length, 1);
    stop();
    incoming(win, { type: 'partial', figureId: 'f', seriesId: 's', point: { x: 0.2, y: 2 } });
    assert.equal(got.length, 1, 'no delivery after unsubscribing');
  });

  test('messages that come before a handler are delivered when it registers', () => {
    const win = fakeWindow();
    const m = createMessaging({ api: fakeApi(), window: win });
    incoming(win, { type: 'render', figures: [] });
    incoming(win, { type: 'error', message: 'boom', retry: true });
    const errors: string[] = [];
    m.on('error', (e) => errors.push(e.message));
    assert.deepEqual(errors, ['boom']);
    let renders = 0;
    m.on('render', () => renders++);
    assert.equal(renders, 1);
  });

  test('a throwing handler does not stop the others', () => {
    const win = fakeWindow();
    const m = createMessaging({ api: fakeApi(), window: win });
    let second = 0;
    const origError = console.error;
    console.error = () => undefined;
    try {
      m.on('progress', () => { throw new Error('bad handler'); });
      m.on('progress', () => second++);
      incoming(win, { type: 'progress', fraction: 0.5 });
    } finally {
      console.error = origError;
    }
    assert.equal(second, 1);
  });

  test('state goes to the VS Code API and to the extension', () => {
    const api = fakeApi();
    const m = createMessaging({ api, window: fakeWindow() });
    m.setState({ alpha: 0.5, classes: [1, 2] });
    assert.deepEqual(api.state, { alpha: 0.5, classes: [1, 2] });
    assert.deepEqual(m.getState(), { alpha: 0.5, classes: [1, 2] });
    assert.deepEqual(api.posted, [{ type: 'setState', state: { alpha: 0.5, classes: [1, 2] } }]);
  });

  test('outside VS Code it posts to the parent frame and keeps state itself', () => {
    const win = fakeWindow();
    const m = createMessaging({ window: win });
    assert.equal(m.inVsCode, false);
    m.ready();
    m.setState({ k: 1 });
    assert.deepEqual(m.getState(), { k: 1 });
    assert.deepEqual(win.parentPosts, [{ type: 'ready', protocol: 1 }, { type: 'setState', state: { k: 1 } }]);
    m.dispose();
  });

  test('message shapes are checked', () => {
    assert.ok(isExtensionMessage({ type: 'render', figures: [] }));
    assert.ok(!isExtensionMessage({ type: 'render' }));
    assert.ok(isExtensionMessage({ type: 'progress', fraction: 1 }));
    assert.ok(!isExtensionMessage({ type: 'error' }));
    assert.ok(!isExtensionMessage({ type: 'ready', protocol: 1 }), 'outgoing types are not incoming');
  });
});
