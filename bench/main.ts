/**
 * `npm run bench`: speed and memory goals as ratios against a peer measured in the same run,
 * printed as a table and written to bench-results.json. Never timed assertions in tests.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { initBackend } from '../src/core/tf/backend';
import { BenchRow } from './harness';
import { benchInterpreter } from './interpreter';

async function main(): Promise<void> {
  const backend = await initBackend({ preference: (process.env.LINEAR_LENS_BACKEND as 'wasm' | 'cpu' | undefined) ?? 'auto' });
  const rows: BenchRow[] = [];
  rows.push(await benchInterpreter());
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`Linear Lens benchmarks on ${backend.device}; ${os.cpus().length} × ${cpu}; Node ${process.version}\n`);
  const w = Math.max(...rows.map((r) => r.name.length));
  console.log(`${'benchmark'.padEnd(w)}  ours (ms)  peer (ms)  ratio  goal   peer`);
  for (const r of rows) {
    const ok = r.ratio <= r.goal ? 'ok' : 'MISSED';
    console.log(`${r.name.padEnd(w)}  ${r.oursMs.toFixed(1).padStart(9)}  ${r.peerMs.toFixed(1).padStart(9)}  ${r.ratio.toFixed(2).padStart(5)}  ≤${r.goal} ${ok.padEnd(6)} ${r.peer}`);
  }
  const out = { date: new Date().toISOString(), backend, machine: { cpu, cores: os.cpus().length, memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1), node: process.version }, rows };
  fs.writeFileSync('bench-results.json', JSON.stringify(out, null, 2) + '\n');
  console.log('\nwritten: bench-results.json');
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
