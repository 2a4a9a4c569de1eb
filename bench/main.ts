/**
 * `npm run bench`: the same work in Linear Lens and in PyTorch (CPU), in one run, printed as a
 * table and written to bench-results.json. Never timed assertions in tests.
 *
 * Every benchmark runs our side in a fresh child process (`node dist/bench.js --child ID`), so
 * each peak RSS is that benchmark's own, then its PyTorch peer (bench/peers/*.py, another child
 * process) on the same model files and data. Peers check that they compute what we computed
 * (logits, curve, permutations, rows, gradients) and a row whose peer disagrees is marked invalid.
 *
 * Flags: --quick (fewer repeats, NADs with 100 networks), --only ID[,ID] (forward, lmc,
 * weight-matching, lap, interpreter, interpreter-fb, nad, lmc-memory), --nad-networks N, --profile
 * (kernel time per op, forward vs backward, for our side), --no-peer. Environment:
 * LINEAR_LENS_PYTHON (a python3 with torch), LINEAR_LENS_BACKEND (wasm, cpu, tensorflow),
 * LINEAR_LENS_TFJS_NODE (folder holding @tensorflow/tfjs-node-gpu).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BackendInfo, BackendPreference, initBackend } from '../src/core/tf/backend';
import { BenchRow, OursResult, PeerResult } from './harness';
import { DEBIAN_FASHION_TRAIN, EXAMPLES } from './models';
import { ROWS, RowOptions } from './rows';

interface Flags {
  readonly quick: boolean;
  readonly only?: string[];
  readonly profile: boolean;
  readonly noPeer: boolean;
  readonly nadNetworks?: number;
  readonly child?: string;
  readonly tmp?: string;
  readonly data?: string;
  readonly points?: number;
}

function parseFlags(argv: string[]): Flags {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string): number | undefined => (value(name) !== undefined ? Number(value(name)) : undefined);
  const known = new Set(['--quick', '--only', '--profile', '--no-peer', '--nad-networks', '--child', '--tmp', '--data', '--points']);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--') && !known.has(argv[i])) throw new Error(`unknown flag ${argv[i]}; flags: --quick --only ID[,ID] --nad-networks N --profile --no-peer`);
  }
  const only = value('--only')?.split(',').filter(Boolean);
  for (const id of only ?? []) if (!(id in ROWS) && id !== 'lmc-memory') throw new Error(`--only: no benchmark "${id}"; ids: ${Object.keys(ROWS).join(', ')}`);
  return {
    quick: argv.includes('--quick'),
    profile: argv.includes('--profile'),
    noPeer: argv.includes('--no-peer'),
    ...(only ? { only } : {}),
    ...(num('--nad-networks') !== undefined ? { nadNetworks: num('--nad-networks') } : {}),
    ...(value('--child') ? { child: value('--child') } : {}),
    ...(value('--tmp') ? { tmp: value('--tmp') } : {}),
    ...(value('--data') ? { data: value('--data') } : {}),
    ...(num('--points') !== undefined ? { points: num('--points') } : {}),
  };
}

async function backend(): Promise<BackendInfo> {
  return initBackend({ preference: (process.env.LINEAR_LENS_BACKEND as BackendPreference | undefined) ?? 'auto' });
}

const RESULT_MARK = 'BENCH_RESULT ';

/** Child mode: our side of one benchmark; the result is the last stdout line. */
async function child(f: Flags): Promise<void> {
  const info = await backend();
  const o: RowOptions = { quick: f.quick, tmp: f.tmp!, profile: f.profile, ...(f.nadNetworks ? { nadNetworks: f.nadNetworks } : {}), ...(f.data ? { data: f.data } : {}), ...(f.points ? { points: f.points } : {}) };
  const r = await ROWS[f.child!](o);
  process.stdout.write(`${RESULT_MARK}${JSON.stringify({ ...r, backend: info.device })}\n`);
}

function childFlags(f: Flags, extra: string[]): string[] {
  return [...(f.quick ? ['--quick'] : []), ...(f.profile ? ['--profile'] : []), ...(f.nadNetworks ? ['--nad-networks', String(f.nadNetworks)] : []), ...extra];
}

function runOurs(id: string, f: Flags, tmp: string, extra: string[] = [], env: Record<string, string> = {}): (OursResult & { backend: string }) | { error: string } {
  const r = spawnSync(process.execPath, [process.argv[1], '--child', id, '--tmp', tmp, ...childFlags(f, extra)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  const line = r.stdout?.split('\n').find((l) => l.startsWith(RESULT_MARK));
  if (r.status !== 0 || !line) return { error: `our side of "${id}" failed (exit ${r.status ?? r.signal}): ${r.stdout?.slice(-2000) ?? ''}` };
  return JSON.parse(line.slice(RESULT_MARK.length));
}

/** A python with torch: LINEAR_LENS_PYTHON, Debian's /usr/bin/python3, then python3 / python on PATH. */
interface Python {
  readonly exe: string;
  readonly torch: string;
  readonly threads: number;
  readonly numpy: string;
  readonly scipy?: string;
}

function findPython(): { python?: Python; tried: string[] } {
  const probe = 'import json, torch, numpy\ntry:\n import scipy.optimize; s = scipy.__version__\nexcept Exception: s = None\nprint(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "numpy": numpy.__version__, "scipy": s}))';
  const candidates = [process.env.LINEAR_LENS_PYTHON, '/usr/bin/python3', 'python3', 'python'].filter((c): c is string => !!c);
  const tried: string[] = [];
  for (const exe of [...new Set(candidates)]) {
    const r = spawnSync(exe, ['-c', probe], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) {
      const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
      return { python: { exe, torch: j.torch, threads: j.threads, numpy: j.numpy, ...(j.scipy ? { scipy: j.scipy } : {}) }, tried };
    }
    const why = r.error ? r.error.message : (r.stderr || '').trim().split('\n').pop() ?? `exit ${r.status}`;
    tried.push(`${exe}${exe === process.env.LINEAR_LENS_PYTHON ? ' (LINEAR_LENS_PYTHON)' : ''}: ${why}`);
  }
  return { tried };
}

function runPeer(py: Python, script: string, args: Record<string, unknown>): PeerResult | { error: string } {
  const file = path.resolve('bench/peers', script);
  const r = spawnSync(py.exe, [file, JSON.stringify(args)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  const last = r.stdout?.trim().split('\n').pop();
  if (r.status !== 0 || !last?.startsWith('{')) return { error: `peer ${script} failed (exit ${r.status ?? r.signal})` };
  return JSON.parse(last);
}

/** The benchmarks with a PyTorch peer: id, table name, peer script and what the peer does. */
const PEERED: { id: string; name: string; script: string; peer: string }[] = [
  { id: 'forward', name: 'forward: cnn-seed1, batch 256', script: 'forward.py', peer: 'the same CNN in torch (NCHW), inference_mode, batch 256' },
  { id: 'lmc', name: 'LMC: 25 points, cnn-seed1 → cnn-seed2, 2,000 test samples', script: 'lmc.py', peer: 'interpolate the state dict, mean CE + accuracy per α, batches of 256' },
  { id: 'weight-matching', name: 'weight matching: mlp-seed1 onto mlp-seed2', script: 'weight_matching.py', peer: 'Git Re-Basin weight matching: torch matmuls + scipy linear_sum_assignment, our sweep order' },
  { id: 'lap', name: 'linear assignment: 1024×1024 uniform random costs, maximised', script: 'lap.py', peer: 'scipy.optimize.linear_sum_assignment on the same matrix' },
  { id: 'interpreter', name: 'interpreter: all 10 rows + bias, cnn-seed1 (A 10×784)', script: 'interpreter.py', peer: 'Jacobian by one batched backward pass (x0 ×10, grad_outputs = I) + forward' },
  { id: 'nad', name: 'NADs: LeNet 32×32×1, N networks, s = 100, then PCA', script: 'nad.py', peer: 'fresh torch LeNet per network (default init), one batch of 2,048 perturbed inputs, eigh of the Gram matrix' },
];

function fmtMs(ms: number | undefined): string {
  if (ms === undefined) return '—';
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`;
}

function fmtMB(mb: number | undefined): string {
  return mb === undefined ? '—' : `${mb.toFixed(0)} MB`;
}

function machine(py: Python | undefined) {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown CPU',
    cores: os.cpus().length,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    commit: gitState(),
    workerPool: fs.existsSync('src/core/parallel') ? 'src/core/parallel present (lmc/computeNads may use worker threads)' : 'no src/core/parallel',
    ...(py ? { python: py.exe, torch: py.torch, torchThreads: py.threads, numpy: py.numpy, scipy: py.scipy ?? null } : {}),
  };
}

function gitState(): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8' });
  if (head.status !== 0) return 'unknown';
  const n = dirty.stdout.split('\n').filter(Boolean).length;
  return `${head.stdout.trim()}${n ? ` + ${n} uncommitted change(s) under src/` : ''}`;
}

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2));
  if (f.child) return child(f);
  const info = await backend();
  const want = (id: string) => !f.only || f.only.includes(id);
  const m0 = machine(undefined);
  console.log(`Linear Lens benchmarks${f.quick ? ' (--quick)' : ''}: ${m0.cores} × ${m0.cpu}, ${m0.memoryGiB} GiB, Node ${m0.node}`);
  console.log(`backend: ${info.device} (tfjs ${info.tfjsVersion})`);
  for (const n of info.notUsed) console.log(`  not used: ${n.backend}: ${n.reason}`);

  let py: Python | undefined;
  if (!f.noPeer) {
    const found = findPython();
    py = found.python;
    if (py) {
      console.log(`PyTorch peer: ${py.exe}, torch ${py.torch} (CPU), ${py.threads} thread${py.threads === 1 ? '' : 's'} (torch's default), numpy ${py.numpy}, scipy ${py.scipy ?? 'missing'}`);
    } else {
      console.log('PyTorch peer: MISSING, no python with torch and numpy was found, so the PyTorch column stays empty.');
      for (const t of found.tried) console.log(`  tried ${t}`);
      console.log('  Install it with `apt-get install python3-torch python3-numpy python3-scipy` (Debian), or point LINEAR_LENS_PYTHON at a python3 that has torch.');
    }
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'linear-lens-bench-'));
  const rows: BenchRow[] = [];
  const errors: string[] = [];
  try {
    for (const p of PEERED) {
      if (!want(p.id)) continue;
      console.log(`\n== ${p.id}`);
      const ours = runOurs(p.id, f, tmp);
      if ('error' in ours) {
        errors.push(ours.error);
        console.log(ours.error);
        continue;
      }
      const name = p.id === 'nad' ? p.name.replace('N networks', `N = ${ours.extra?.networks}`) : p.name;
      let peer: PeerResult | { error: string } | undefined;
      const notes = [...(ours.notes ?? [])];
      if (py && (p.id === 'weight-matching' || p.id === 'lap') && !py.scipy) {
        notes.push(`no PyTorch peer: scipy is not importable in ${py.exe} (apt-get install python3-scipy)`);
      } else if (py) {
        peer = runPeer(py, p.script, ours.peerArgs ?? {});
        if ('error' in peer) {
          errors.push(peer.error);
          notes.push(peer.error);
          peer = undefined;
        }
      }
      const pr = peer as PeerResult | undefined;
      const row: BenchRow = {
        id: p.id,
        name,
        peer: pr ? p.peer : 'none',
        oursMs: ours.ms.median,
        ...(pr ? { peerMs: pr.median_ms, ratio: ours.ms.median / pr.median_ms, valid: pr.valid, check: pr.check, peerMaxRssMB: pr.maxrss_mb, peerBackend: `torch ${pr.torch} CPU, ${pr.threads} thread${pr.threads === 1 ? '' : 's'}`, ...(pr.extra ? { peerExtra: pr.extra } : {}) } : {}),
        oursMemory: ours.memory,
        backend: ours.backend,
        ...(ours.extra ? { extra: ours.extra } : {}),
        notes: [...notes, ...(pr?.notes ?? [])],
        ...(ours.profile ? { profile: ours.profile } : {}),
      };
      rows.push(row);
      printRowDetail(row);
    }
    if (want('interpreter-fb')) {
      console.log('\n== interpreter-fb');
      const ours = runOurs('interpreter-fb', f, tmp);
      if ('error' in ours) errors.push(ours.error);
      else {
        const fb = Number(ours.extra!.forwardBackwardMs);
        const row: BenchRow = {
          id: 'interpreter-fb',
          name: 'interpreter: all 10 rows + bias + residual (CIFAR-size CNN)',
          peer: 'ours: one forward + backward pass, batch 10, same network (goal ≤ 4)',
          oursMs: ours.ms.median,
          peerMs: fb,
          ratio: ours.ms.median / fb,
          goal: 4,
          valid: true,
          check: 'same process, same network',
          oursMemory: ours.memory,
          backend: ours.backend,
          peerBackend: ours.backend,
          ...(ours.profile ? { profile: ours.profile } : {}),
        };
        rows.push(row);
        printRowDetail(row);
      }
    }
    let memory: Record<string, unknown> | undefined;
    if (want('lmc-memory')) memory = memoryScaling(f, tmp, errors);

    printTable(rows, info);
    if (memory) printMemory(memory);
    const out = { date: new Date().toISOString(), flags: { quick: f.quick, only: f.only ?? null, nadNetworks: f.nadNetworks ?? null }, backend: info, machine: machine(py), pytorchPeer: py ? 'found' : f.noPeer ? 'skipped (--no-peer)' : 'missing', rows, memoryScaling: memory ?? null, errors };
    fs.writeFileSync('bench-results.json', JSON.stringify(out, null, 2) + '\n');
    console.log('\nwritten: bench-results.json');
    if (errors.length) {
      console.log(`\n${errors.length} error(s):\n${errors.join('\n')}`);
      process.exitCode = 1;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function printRowDetail(r: BenchRow): void {
  const ratio = r.ratio !== undefined ? `, ratio ${r.ratio.toFixed(2)}` : '';
  console.log(`ours ${fmtMs(r.oursMs)}, peer ${fmtMs(r.peerMs)}${ratio}${r.valid === false ? ' (INVALID: the peer disagrees)' : ''}`);
  if (r.check) console.log(`  check: ${r.check}`);
  if (r.extra) console.log(`  ours: ${JSON.stringify(r.extra)}`);
  if (r.peerExtra) console.log(`  peer: ${JSON.stringify(r.peerExtra)}`);
  for (const n of r.notes ?? []) console.log(`  note: ${n}`);
  for (const l of r.profile ?? []) console.log(l);
}

function printTable(rows: BenchRow[], info: BackendInfo): void {
  const head = ['benchmark', 'ours (median)', 'PyTorch (median)', 'ours/PyTorch', 'ours peak RSS', 'PyTorch peak RSS', 'backend'];
  const body = rows.map((r) => [
    r.name,
    fmtMs(r.oursMs),
    r.id === 'interpreter-fb' ? `${fmtMs(r.peerMs)} (ours f+b)` : fmtMs(r.peerMs),
    r.ratio === undefined ? '—' : `${r.ratio.toFixed(2)}${r.valid === false ? ' INVALID' : ''}${r.goal ? ` (goal ≤ ${r.goal})` : ''}`,
    fmtMB(r.oursMemory?.maxRssMB),
    fmtMB(r.peerMaxRssMB),
    r.peerBackend && r.id !== 'interpreter-fb' ? `${r.backend} vs ${r.peerBackend}` : r.backend,
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  console.log(`\n${line(head)}\n${w.map((n) => '-'.repeat(n)).join('  ')}`);
  for (const b of body) console.log(line(b));
  if (info.name !== 'tensorflow') {
    const why = info.notUsed.find((n) => n.backend === 'tensorflow')?.reason;
    console.log(`\nGPU backend (tensorflow) not used${why ? `: ${why}` : ''}.`);
  }
}

/** Item 2: peak RSS of one LMC curve on 2,000 vs 60,000 samples, each in a fresh child process. */
function memoryScaling(f: Flags, tmp: string, errors: string[]): Record<string, unknown> {
  const points = 5;
  console.log(`\n== lmc-memory (${points}-point LMC curve, cnn-seed1 → cnn-seed2, batch 256; fresh process per dataset)`);
  const out: Record<string, unknown> = { points, batchSize: 256 };
  const sets: [string, string][] = [['test2k', EXAMPLES.test]];
  if (fs.existsSync(DEBIAN_FASHION_TRAIN)) sets.push(['train60k', DEBIAN_FASHION_TRAIN]);
  else {
    out.train60k = `skipped: ${DEBIAN_FASHION_TRAIN} is missing (apt-get install dataset-fashion-mnist)`;
    console.log(String(out.train60k));
  }
  // Twice, like with like: always on the worker pool (one worker per core), and in one thread.
  // (As lmc() chooses, a short curve runs in one thread and a long one on the pool, which would
  // compare the pool's fixed cost, a runtime and wasm heap per worker, with no pool.)
  const cores = String(os.availableParallelism());
  for (const [mode, env] of [['default', { BENCH_LMC_WORKERS: cores }], ['oneThread', { LINEAR_LENS_WORKERS: '1' }]] as [string, Record<string, string>][]) {
    for (const [key, file] of sets) {
      const r = runOurs('lmc-memory', { ...f, profile: false }, tmp, ['--data', file, '--points', String(points)], env);
      const k = mode === 'default' ? key : `${key}OneThread`;
      if ('error' in r) {
        errors.push(r.error);
        out[k] = r.error;
        continue;
      }
      out[k] = { file, ms: r.ms.median, memory: r.memory, ...r.extra, ...(r.notes?.length ? { notes: r.notes } : {}) };
      console.log(`${k}: ${r.extra?.samples} samples, ${fmtMs(r.ms.median)}, peak RSS ${fmtMB(r.memory.maxRssMB)} (after opening the data ${fmtMB(Number(r.extra?.maxRssAfterOpenMB))}), main thread's wasm heap ${fmtMB(r.memory.wasmHeapMB)}${r.notes?.length ? `; ${r.notes.join(' ')}` : ''}`);
    }
  }
  return out;
}

function printMemory(m: Record<string, unknown>): void {
  const get = (k: string) => (typeof m[k] === 'object' ? (m[k] as { memory: { maxRssMB: number }; samples: number; ms: number }) : undefined);
  console.log(`\nmemory vs dataset size (${m.points}-point LMC curve, batch ${m.batchSize}, fresh process each):`);
  for (const [suffix, label] of [['', 'worker pool (one per core)'], ['OneThread', 'LINEAR_LENS_WORKERS=1']]) {
    const a = get(`test2k${suffix}`);
    const b = get(`train60k${suffix}`);
    if (a) console.log(`  ${label}: ${a.samples} samples: peak RSS ${fmtMB(a.memory.maxRssMB)}, ${fmtMs(a.ms)}`);
    if (b) console.log(`  ${label}: ${b.samples} samples: peak RSS ${fmtMB(b.memory.maxRssMB)}, ${fmtMs(b.ms)}`);
    else console.log(`  ${label}: 60,000 samples: ${String(m[`train60k${suffix}`])}`);
    if (a && b) console.log(`  ${label}: ratio of peaks 60k/2k: ${(b.memory.maxRssMB / a.memory.maxRssMB).toFixed(2)}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
