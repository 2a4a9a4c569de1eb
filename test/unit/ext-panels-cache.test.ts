// The result cache of the panels (src/extension/panels/resultCache.ts) on a real temp folder:
// round trips, corrupt entries, LRU eviction by size, atomic replacement, stale temp files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CACHE_FORMAT, isCacheKey, ResultCache } from '../../src/extension/panels/resultCache';
import type { JsonValue } from '../../src/protocol/webview';

const KEY_A = 'a'.repeat(64);
const KEY_B = 'b'.repeat(64);
const KEY_C = 'c'.repeat(64);

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'll-cache-'));
}

/** A value whose stored entry takes about `bytes` bytes. */
function sized(bytes: number, tag: string): JsonValue {
  return { tag, pad: 'x'.repeat(Math.max(0, bytes - 100)) };
}

function withCache(maxBytes: number, fn: (cache: ResultCache, dir: string, logs: string[]) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = join(tempDir(), 'results');
    const logs: string[] = [];
    const cache = new ResultCache(dir, { maxBytes: () => maxBytes, log: (l) => logs.push(l) });
    try {
      await fn(cache, dir, logs);
    } finally {
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  };
}

/** Sets a file's modification time, the cache's LRU clock, to `t` ms since the epoch. */
function age(file: string, t: number): void {
  utimesSync(file, t / 1000, t / 1000);
}

test('keys: only file-name-safe strings of a sensible length', () => {
  assert.ok(isCacheKey(KEY_A));
  assert.ok(isCacheKey('0123456789abcdef'));
  for (const bad of ['', 'short', '../../etc/passwd', 'a/b'.repeat(10), 'x'.repeat(129), 'key with spaces here', 'ä'.repeat(20)]) {
    assert.equal(isCacheKey(bad), false, bad);
  }
});

test('a stored value comes back equal; a missing key is undefined', withCache(1 << 20, async (cache, dir) => {
  const value: JsonValue = { curve: [0, 0.5, 1], label: 'α', nested: { n: null, ok: true } };
  assert.equal(await cache.get(KEY_A), undefined, 'nothing stored yet (folder missing)');
  await cache.set(KEY_A, value);
  assert.deepEqual(await cache.get(KEY_A), value);
  assert.equal(await cache.has(KEY_A), true);
  assert.equal(await cache.has(KEY_B), false);
  assert.deepEqual(readdirSync(dir), [`${KEY_A}.json`], 'one entry file, no temporary files left');
  await cache.set(KEY_A, { replaced: 1 });
  assert.deepEqual(await cache.get(KEY_A), { replaced: 1 });
  await cache.delete(KEY_A);
  assert.equal(await cache.get(KEY_A), undefined);
}));

test('null is a value like any other', withCache(1 << 20, async (cache) => {
  await cache.set(KEY_A, null);
  assert.equal(await cache.get(KEY_A), null);
  assert.equal(await cache.has(KEY_A), true);
}));

test('a key that is not file-name-safe is refused on write and missing on read', withCache(1 << 20, async (cache) => {
  await assert.rejects(cache.set('../escape-the-folder', 1), /not a cache key/);
  assert.equal(await cache.get('../escape-the-folder'), undefined);
}));

test('corrupt entries are ignored, deleted and logged', withCache(1 << 20, async (cache, dir, logs) => {
  await cache.set(KEY_A, { ok: 1 });
  const cases: [string, string][] = [
    ['truncated JSON', '{"format":1,"key":"' + KEY_A + '","value":{"ok"'],
    ['not JSON at all', '\u0000\u0001binary'],
    ['another format', JSON.stringify({ format: CACHE_FORMAT + 1, key: KEY_A, created: 0, value: 1 })],
    ['another key inside', JSON.stringify({ format: CACHE_FORMAT, key: KEY_B, created: 0, value: 1 })],
    ['no value', JSON.stringify({ format: CACHE_FORMAT, key: KEY_A, created: 0 })],
    ['JSON null', 'null'],
    ['empty file', ''],
  ];
  for (const [what, text] of cases) {
    writeFileSync(join(dir, `${KEY_A}.json`), text);
    logs.length = 0;
    assert.equal(await cache.get(KEY_A), undefined, what);
    assert.equal(existsSync(join(dir, `${KEY_A}.json`)), false, `${what}: deleted`);
    assert.match(logs.join('\n'), /corrupt/, `${what}: logged`);
  }
  await cache.set(KEY_A, { again: true });
  assert.deepEqual(await cache.get(KEY_A), { again: true }, 'the key works again after a corrupt entry');
}));

test('LRU eviction: the least recently used entries go first once the limit is passed', withCache(2500, async (cache, dir) => {
  const t0 = Date.now() - 60_000;
  await cache.set(KEY_A, sized(1000, 'a'));
  age(join(dir, `${KEY_A}.json`), t0);
  await cache.set(KEY_B, sized(1000, 'b'));
  age(join(dir, `${KEY_B}.json`), t0 + 1000);
  // Reading A makes it the newest: B is now the least recently used.
  assert.ok(await cache.get(KEY_A));
  await cache.set(KEY_C, sized(1000, 'c'));
  assert.deepEqual((await cache.entries()).map((e) => e.key).sort(), [KEY_A, KEY_C]);
  assert.equal(await cache.get(KEY_B), undefined, 'B was evicted');
  assert.ok((await cache.totalBytes()) <= 2500);
}));

test('the limit is read on every write, and evict() applies a smaller one at once', async () => {
  const dir = join(tempDir(), 'results');
  let max = 10_000;
  const cache = new ResultCache(dir, { maxBytes: () => max });
  try {
    for (const [i, key] of [KEY_A, KEY_B, KEY_C].entries()) {
      await cache.set(key, sized(1000, key));
      age(join(dir, `${key}.json`), Date.now() - 60_000 + i * 1000);
    }
    assert.equal((await cache.entries()).length, 3);
    max = 1500;
    assert.equal(await cache.evict(), 2);
    assert.deepEqual((await cache.entries()).map((e) => e.key), [KEY_C], 'the newest stays');
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
});

test('a result larger than the whole cache is not stored (and does not evict the others)', withCache(3000, async (cache, _dir, logs) => {
  await cache.set(KEY_A, sized(1000, 'a'));
  await cache.set(KEY_B, sized(5000, 'b'));
  assert.equal(await cache.get(KEY_B), undefined);
  assert.ok(await cache.get(KEY_A), 'the small entry is still there');
  assert.match(logs.join('\n'), /larger than the cache limit/);
}));

test('a limit of 0 turns the cache off', withCache(0, async (cache, dir) => {
  await cache.set(KEY_A, { tiny: 1 });
  assert.equal(await cache.get(KEY_A), undefined);
  assert.equal(existsSync(dir) ? readdirSync(dir).length : 0, 0);
}));

test('many concurrent writes stay within the limit and leave no temporary files', withCache(20_000, async (cache, dir) => {
  const keys = Array.from({ length: 40 }, (_, i) => `k${String(i).padStart(15, '0')}`);
  await Promise.all(keys.map((k) => cache.set(k, sized(1000, k))));
  assert.ok((await cache.totalBytes()) <= 20_000);
  assert.deepEqual(readdirSync(dir).filter((f) => !f.endsWith('.json')), []);
  for (const e of await cache.entries()) assert.deepEqual(((await cache.get(e.key)) as { tag: string }).tag, e.key);
}));

test('readers never see half an entry while it is being replaced', withCache(50 << 20, async (cache) => {
  const big = (n: number): JsonValue => ({ n, data: Array.from({ length: 200_000 }, (_, i) => (i * n) % 997) });
  await cache.set(KEY_A, big(1));
  let reads = 0;
  let writing = true;
  const reader = (async () => {
    while (writing) {
      const v = (await cache.get(KEY_A)) as { n: number; data: number[] } | undefined;
      assert.ok(v, 'the entry never goes missing while it is replaced');
      assert.equal(v.data.length, 200_000);
      reads++;
    }
  })();
  for (let n = 2; n <= 8; n++) await cache.set(KEY_A, big(n));
  writing = false;
  await reader;
  assert.ok(reads > 0);
  assert.equal(((await cache.get(KEY_A)) as { n: number }).n, 8);
}));

test('temporary files of a write that died are removed once stale, fresh ones are left alone', withCache(1 << 20, async (cache, dir) => {
  await cache.set(KEY_A, 1);
  const stale = join(dir, `.${KEY_B}.123.abcdef.tmp`);
  const fresh = join(dir, `.${KEY_C}.123.abcdef.tmp`);
  writeFileSync(stale, '{"half');
  writeFileSync(fresh, '{"half');
  age(stale, Date.now() - 3600_000);
  await cache.evict();
  assert.equal(existsSync(stale), false);
  assert.equal(existsSync(fresh), true, 'a write in progress elsewhere keeps its file');
  assert.deepEqual((await cache.entries()).map((e) => e.key), [KEY_A], 'temp files are never entries');
}));

test('reading an entry bumps its modification time (the LRU clock)', withCache(1 << 20, async (cache, dir) => {
  await cache.set(KEY_A, 1);
  const f = join(dir, `${KEY_A}.json`);
  age(f, Date.now() - 3600_000);
  const before = statSync(f).mtimeMs;
  await cache.get(KEY_A);
  assert.ok(statSync(f).mtimeMs > before + 3000_000);
}));

test('a writer killed (SIGKILL) while it writes an entry leaves the old entry whole, and its temporary file is never read', withCache(1 << 30, async (cache, dir) => {
  const { spawn } = await import('node:child_process');
  const old = { n: 0, note: 'the entry before the crash' };
  await cache.set(KEY_A, old);
  const fullBytes: number[] = [];
  let partial = 0;
  const seen = new Set<string>();
  for (let round = 1; round <= 3; round++) {
    // Another process (as the extension host is) writes ~40 MB entries under the same key, again and again.
    const writer = spawn(process.execPath, ['--import', 'tsx', '-e', `
      const { ResultCache } = require(${JSON.stringify(join(__dirname, '../../src/extension/panels/resultCache.ts'))});
      const cache = new ResultCache(${JSON.stringify(dir)}, { maxBytes: () => 1 << 30 });
      const value = { n: ${round}, data: 'y'.repeat(40 << 20) };
      (async () => { for (;;) await cache.set(${JSON.stringify(KEY_A)}, value); })();
    `], { stdio: 'ignore' });
    try {
      // Killed as soon as a temporary file appears: mid-write, or between the write and the rename.
      const deadline = Date.now() + 60_000;
      let temp: string | undefined;
      while (!temp && Date.now() < deadline) {
        temp = readdirSync(dir).find((f) => f.endsWith('.tmp') && !seen.has(f));
        if (!temp) await new Promise((r) => setTimeout(r, 1));
      }
      assert.ok(temp, 'the writer started a temporary file');
      writer.kill('SIGKILL');
      await new Promise((r) => writer.once('exit', r));
      const left = readdirSync(dir).filter((f) => f.endsWith('.tmp') && !seen.has(f));
      for (const f of left) {
        seen.add(f);
        const size = statSync(join(dir, f)).size;
        if (size < 40 << 20) partial++;
        fullBytes.push(size);
      }
    } finally {
      writer.kill('SIGKILL');
    }
    // The entry is the one before the crash or a whole newer one, never a mix.
    const v = (await cache.get(KEY_A)) as { n: number; note?: string; data?: string } | undefined;
    assert.ok(v, `round ${round}: the entry is still there`);
    assert.ok(v.n === 0 ? v.note === old.note : v.n <= round && v.data?.length === 40 << 20, `round ${round}: a whole entry (n = ${v.n})`);
    assert.deepEqual((await cache.entries()).map((e) => e.key), [KEY_A], 'temporary files are never entries');
  }
  // Whatever the kills left behind goes once it is stale; the entry stays.
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.tmp'))) age(join(dir, f), Date.now() - 3600_000);
  await cache.evict();
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  assert.ok(await cache.get(KEY_A));
  assert.ok(fullBytes.length > 0, 'the kills left temporary files to check');
  process.stdout.write(`# killed writers left ${fullBytes.length} temporary file(s), ${partial} of them half-written (sizes ${fullBytes.join(', ')})\n`);
}));
