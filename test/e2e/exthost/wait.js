// Waiting inside the extension host suites (not a test file: no .test.js suffix).

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `fn` every `interval` ms until it returns something truthy (returned), treating a throw
 * as "not yet"; after `timeout` ms fails naming `what` (a string, or a function called then, so
 * the message can say what was there instead) and the last error.
 */
async function waitFor(fn, what, timeout = 30_000, interval = 100) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) { last = e; }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${typeof what === 'function' ? what() : what}${last ? `: ${last.message}` : ''}`);
    await sleep(interval);
  }
}

module.exports = { sleep, waitFor };
