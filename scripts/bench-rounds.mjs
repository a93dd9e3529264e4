#!/usr/bin/env node
// `pnpm bench rounds`: whole federated rounds over real sockets on loopback, measured the
// way the published Flower 1.23.0 rounds on this kind of machine are: the sites' own training is trivial (a small fixed
// update, fixed evaluation metrics, no data), so what is timed is the framework — the
// coordinator (its own process), the site agents (child processes), socket.io, signatures,
// fsynced records, secure aggregation and DP. Nothing is hard-coded: every figure is read
// back from the coordinator's store, log lines and /metrics, and the sites' sockets.
//
//   node scripts/bench-rounds.mjs [--per-process=5] [--only=id,id] [--all] [--cpu-prof=DIR] [--keep] [--json]
//
// About 3 minutes on 2 cores. Flags take `=` (pnpm bench passes only arguments starting with -).
// --per-process  site agents per child process (default 5: 10 sites in 2 processes, one per core;
//                1 per process measures within noise of it, all 10 in one process is slower);
//                p200-100k always runs 25 per process (8 processes)
// --only         a subset of rows by id (p2-100k, p10-100k, p50-100k, p10-1m, s10-100k, s10-1m, sdp10-1m,
//                and the rows run only when named or with --all: p200-100k, sdp10-100k)
// --all          every row, the opt-in ones too
// --cpu-prof     write V8 CPU profiles of the coordinator and every site process to DIR
// --keep         keep each configuration's temp folder (data dirs, site state, logs) and print where
import { cpus } from 'node:os';
import { join } from 'node:path';
import { runConfiguration } from './bench-round-federation.mjs';
import { processBook } from './bench-processes.mjs';

const args = process.argv.slice(2);
const option = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const perProcess = Number(option('per-process') ?? 5);
const cpuProf = option('cpu-prof');
const json = args.includes('--json');
const keep = args.includes('--keep');
const book = processBook('bench rounds', { keep });
const { track, shutdown, usage, fail, progress } = book;
if (!Number.isInteger(perProcess) || perProcess < 1) usage(`--per-process must be a positive integer, got ${option('per-process')}`);

const K = 100_000; // 9·11,111 + 1: exactly (see bench-round-federation.mjs)
const M = 1_000_000; // 9·111,111 + 1
const PLAIN = 'real sockets, plaintext';
const SECURE = 'real sockets, secure aggregation';
const SECURE_DP = 'real sockets, secure aggregation + site-level DP';
// Flower 1.23.0, measured the same way on a 2-core machine like this one, for the same sites × parameters.
const ROWS = [
  { id: 'p2-100k', mode: PLAIN, sites: 2, params: K, rounds: 10, flower: [['gRPC API, plaintext', 0.012, '1.0 × 4P']] },
  { id: 'p10-100k', mode: PLAIN, sites: 10, params: K, rounds: 10, flower: [['gRPC API, plaintext', 0.058, '1.0 × 4P']] },
  { id: 'p50-100k', mode: PLAIN, sites: 50, params: K, rounds: 10, flower: [['gRPC API, plaintext', 0.4, '1.0 × 4P']] },
  { id: 'p10-1m', mode: PLAIN, sites: 10, params: M, rounds: 5, flower: [['gRPC API, plaintext', 0.28, '1.0 × 4P']] },
  { id: 's10-100k', mode: SECURE, secure: true, sites: 10, params: K, rounds: 10, flower: [['in one process, SecAgg+ (5 shares, threshold 3)', 0.59, '—']] },
  { id: 's10-1m', mode: SECURE, secure: true, sites: 10, params: M, rounds: 5, flower: [['in one process, SecAgg+', 1.36, '—'], ['deployment engine over loopback, SecAgg+', 40.4, '2.0 × 4P']] },
  { id: 'sdp10-1m', mode: SECURE_DP, secure: true, dp: true, sites: 10, params: M, rounds: 5, flower: [['in one process, SecAgg+', 1.36, '—'], ['gRPC API, server-side DP (fixed clipping)', 0.36, '1.0 × 4P']] },
  // Run only when named (--only) or with --all: 200 site agents take minutes to start on 2 cores.
  { id: 'p200-100k', mode: PLAIN, sites: 200, params: K, rounds: 5, optIn: true, perProcess: 25, flower: [] },
  { id: 'sdp10-100k', mode: SECURE_DP, secure: true, dp: true, sites: 10, params: K, rounds: 10, optIn: true, flower: [['in one process, SecAgg+ (5 shares, threshold 3)', 0.59, '—']] },
];
const only = option('only')?.split(',');
const unknown = only?.filter((id) => !ROWS.some((r) => r.id === id)) ?? [];
if (unknown.length > 0) usage(`unknown row(s) ${unknown.join(', ')}; rows: ${ROWS.map((r) => r.id).join(', ')}`);
const all = args.includes('--all');
const rows = ROWS.filter((r) => (only ? only.includes(r.id) : all || !r.optIn));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const TRAIN_REPLIES = new Set(['update/submit', 'secagg/keys', 'secagg/shares', 'secagg/masked', 'secagg/reveal']);

/** Per-round figures from one configuration's run, measured rounds only (after the warm-up). */
function figures(row, result) {
  const { rounds, detail, metrics, reports, phases } = result;
  const problems = [];
  if (detail.run.status !== 'completed') problems.push(`run ${detail.run.status}`);
  if (detail.rounds.length !== rounds) problems.push(`${detail.rounds.length} rounds stored, ${rounds} expected`);
  if (result.stray > 0) problems.push(`${result.stray} site socket(s) could not be attributed to a site (a reconnection?)`);
  for (const s of reports) {
    if (s.params !== row.params) problems.push(`${s.name} trained on ${s.params} weights, expected ${row.params}`);
    if (s.refusals.length > 0) problems.push(`${s.name} refused: ${s.refusals[0]}`);
    if (s.disconnects > 0) problems.push(`${s.name} was disconnected ${s.disconnects} time(s)`);
  }
  for (const r of detail.rounds) if (r.trained.length !== row.sites) problems.push(`round ${r.round}: ${r.trained.length}/${row.sites} sites trained`);
  if (problems.length > 0) throw new Error(`${row.id}: ${problems.join('; ')} (logs: ${result.logs})`);

  const measured = detail.rounds.filter((r) => r.round >= 2).map((r) => r.round);
  const phase = (r) => phases.get(r) ?? {};
  const seconds = (get) => median(measured.map((r) => get(r) / 1000));
  const store = new Map(detail.rounds.map((r) => [r.round, r.finishedAt - r.startedAt]));
  const train = seconds((r) => phase(r).evaluate - phase(r).train);
  const evaluate = seconds((r) => phase(r).complete - phase(r).evaluate);
  const round = seconds((r) => store.get(r));
  const cycle = seconds((r) => phase(r).complete - phase(r).train);
  if (![train, evaluate, round, cycle].every(Number.isFinite)) throw new Error(`${row.id}: phase times missing from the coordinator log (logs: ${result.logs})`);

  // Bytes each site wrote to its socket(s): from its answer to the warm-up's evaluation to its
  // answer to the last evaluation, so every message of the measured rounds and nothing else.
  const last = rounds;
  const perSite = reports.map((s) => {
    const at = (type, round) => {
      const hit = s.records.findLast((x) => x.round === round && (type === 'train' ? TRAIN_REPLIES.has(x.type) : x.type === type));
      if (!hit) throw new Error(`${row.id}: ${s.name} sent no ${type} answer in round ${round} (logs: ${result.logs})`);
      return hit;
    };
    const total = (at('eval/result', last).up - at('eval/result', 1).up) / (last - 1);
    const trainUp = mean(measured.map((r) => at('train', r).up - at('eval/result', r - 1).up));
    const down = (at('eval/result', last).down - at('eval/result', 1).down) / (last - 1);
    return { total, trainUp, down };
  });
  const updateBytes = Number(/^cohort_update_bytes_total (\S+)$/m.exec(metrics)?.[1]);
  const fourP = 4 * row.params;
  const { cpu } = result;
  return {
    // CPU milliseconds per measured round: the coordinator process, and one site (its processes' total over the sites).
    coordinatorCpuMs: cpu ? cpu.coordinatorMs / cpu.rounds : NaN,
    siteCpuMs: cpu ? cpu.sitesMs / row.sites / cpu.rounds : NaN,
    train,
    evaluate,
    round,
    cycle,
    upAll: mean(perSite.map((s) => s.total)) / fourP,
    upTrain: mean(perSite.map((s) => s.trainUp)) / fourP,
    upFrame: updateBytes / (rounds * row.sites) / fourP,
    down: mean(perSite.map((s) => s.down)) / fourP,
  };
}

const fmtS = (s) => (s >= 10 ? s.toFixed(1) : s >= 1 ? s.toFixed(2) : s.toFixed(3));
const fmtX = (x) => `${x.toFixed(3)} × 4P`;
const fmtP = (p) => (p >= 1e6 ? `${p / 1e6}M` : `${Math.round(p / 1000)}k`) + (p % 1000 ? ` (${p.toLocaleString('en-US')})` : '');

const began = performance.now();
const results = [];
let backend;
for (const [i, row] of rows.entries()) {
  progress(`[${i + 1}/${rows.length}] ${row.mode}, ${row.sites} sites × ${fmtP(row.params)}: setting up`);
  row.deadlineS = row.params >= M ? 240 : row.sites > 50 ? 600 : 120;
  try {
    const result = await runConfiguration(row, { track, progress, perProcess: row.perProcess ?? perProcess, cpuProf });
    backend ??= result.backend;
    const f = figures(row, result);
    results.push({ row, f });
    if (keep) progress(`[${i + 1}/${rows.length}] kept ${join(result.logs, '..')}`);
    progress(`[${i + 1}/${rows.length}] train phase ${fmtS(f.train)} s, whole round ${fmtS(f.cycle)} s, CPU ms per round: coordinator ${f.coordinatorCpuMs.toFixed(0)}, one site ${f.siteCpuMs.toFixed(0)}; per site per round ${fmtX(f.upAll)} up, ${fmtX(f.down)} down`);
  } catch (error) {
    if (book.interrupted) await new Promise(() => {}); // the signal handler is cleaning up and exits
    await fail(`${row.id} failed: ${error?.message ?? error}`);
  }
  await shutdown();
}
const total = (performance.now() - began) / 1000;

if (json) {
  console.log(JSON.stringify({ machine: machine(), perProcess, results: results.map(({ row, f }) => ({ id: row.id, mode: row.mode, sites: row.sites, params: row.params, rounds: row.rounds, ...f })) }, null, 2));
  process.exit(0);
}
function machine() {
  const c = cpus();
  return { cpus: c.length, model: c[0]?.model ?? 'unknown', node: process.version, backend: backend ?? 'unknown' };
}
const m = machine();
console.log(`machine: ${m.cpus} cpus (${m.model}), node ${m.node}, TensorFlow.js backend ${m.backend}; ${perProcess} site agents per process; ${total.toFixed(0)} s in all`);
console.log('seconds per round: median over R measured rounds after 1 warm-up (R = 10 at 100k, 5 at 1M) of the TRAIN (fit) phase,');
console.log('  first round/start sent → global model updated (model out, update in, secure aggregation steps, aggregation):');
console.log('  what Flower\'s fit rounds time. bytes up per site: everything a site writes to its socket per round');
console.log('  (all phases: update or keys + shares + masked input + reveal, signatures, evaluation result, framing).\n');
const flowerS = (row) => row.flower[0]?.[1];
const ratio = (x, row) => (flowerS(row) === undefined ? '—' : `${(x / flowerS(row)).toFixed(1)}×`);
const fmtMs = (ms) => (Number.isFinite(ms) ? ms.toFixed(ms >= 100 ? 0 : 1) : '—');
console.log('| CohortFL mode | sites | parameters | train phase s | train / Flower | whole round s | whole round / Flower | coordinator CPU ms per round | one site CPU ms per round | up per site per round | down per site per round | Flower 1.23.0 mode | Flower s/round | Flower bytes up |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const { row, f } of results) {
  const [first, ...rest] = row.flower.length > 0 ? row.flower : [['—', '—', '—']];
  console.log(`| ${row.mode} | ${row.sites} | ${fmtP(row.params)} | ${fmtS(f.train)} | ${ratio(f.train, row)} | ${fmtS(f.cycle)} | ${ratio(f.cycle, row)} | ${fmtMs(f.coordinatorCpuMs)} | ${fmtMs(f.siteCpuMs)} | ${fmtX(f.upAll)} | ${fmtX(f.down)} | ${first[0]} | ${first[1]} | ${first[2]} |`);
  for (const fl of rest) console.log(`| | | | | ${ratio(f.train, { flower: [fl] })} | | ${ratio(f.cycle, { flower: [fl] })} | | | | | ${fl[0]} | ${fl[1]} | ${fl[2]} |`);
}
console.log('\nCPU: user + system time of every thread of the process (/proc/<pid>/stat) over the measured rounds, per round; one site: the');
console.log('site processes\' total divided by the number of sites. Ratios: CohortFL / Flower (below 1.0× is faster than Flower).');
console.log('\nWhere the time and bytes go (medians; whole round = train + evaluate + checkpoint and audit writes, until the next round can start):\n');
console.log('| CohortFL mode | sites | parameters | train phase s | evaluate phase s | round in store s | whole round s | up, train phase | up, update frame (coordinator metric) | down per site per round |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const { row, f } of results) {
  console.log(`| ${row.mode} | ${row.sites} | ${fmtP(row.params)} | ${fmtS(f.train)} | ${fmtS(f.evaluate)} | ${fmtS(f.round)} | ${fmtS(f.cycle)} | ${fmtX(f.upTrain)} | ${fmtX(f.upFrame)} | ${fmtX(f.down)} |`);
}

const find = (id) => results.find((r) => r.row.id === id)?.f;
const verdict = (ok) => (ok ? 'met' : 'NOT met');
const aims = [];
const p1m = find('p10-1m');
if (p1m) aims.push(`plaintext, 10 sites × 1M, ≤ 0.28 s per round (Flower's gRPC API): ${fmtS(p1m.train)} s, ${verdict(p1m.train <= 0.28)} (${(p1m.train / 0.28).toFixed(1)}× Flower)`);
const dp = find('sdp10-1m');
if (dp) aims.push(`secure aggregation + DP, 10 sites × 1M, < 1.36 s (Flower's SecAgg+ in one process; aim ≤ 0.5 s): ${fmtS(dp.train)} s, ${verdict(dp.train < 1.36)}${dp.train < 1.36 ? `, aim ${verdict(dp.train <= 0.5)}` : ''}`);
const secure = results.filter((r) => r.row.secure);
if (secure.length > 0) {
  const worst = Math.max(...secure.map((r) => r.f.upAll));
  aims.push(`bytes up per site with secure aggregation ≤ 1.05 × 4P (Flower: 2.0 ×): at most ${fmtX(worst)}, ${verdict(worst <= 1.05)}`);
}
if (results.length > 0) {
  const worstDown = Math.max(...results.map((r) => r.f.down));
  aims.push(`bytes down per site per whole round ≤ 1.05 × 4P (the model once): at most ${fmtX(worstDown)}, ${verdict(worstDown <= 1.05)}`);
}
if (aims.length > 0) console.log(`\nOur aims against Flower:\n${aims.map((a) => `- ${a}`).join('\n')}`);
console.log('\nSecure aggregation: full graph (every site shares with every other), threshold the least that tolerates one colluding site (2t > n + 1), with the consistency step; site-level DP:');
console.log('σ = 1, clip 1, distributed discrete Gaussian noise added by each site, and a privacy budget in every site\'s policy.');
