#!/usr/bin/env node
// `pnpm bench soak`: one long run of secure-aggregation rounds over real sockets on loopback
// (a real `cohort-coordinator serve` process, site agents in child processes, trivial local
// work, as in `pnpm bench rounds`), sampling every process every N rounds to show whether
// anything grows: resident memory, V8 heap, open file descriptors, active handles and
// requests, and active resources by type, each read from the process's own Prometheus
// /metrics (prom-client's default metrics: /proc/self/status, /proc/self/fd,
// process.getActiveResourcesInfo()); plus the coordinator's SQLite store, its audit log
// and the sites' state folders on disk.
//
//   node scripts/bench-soak.mjs [--rounds=500] [--every=50] [--sites=5] [--params=100000]
//                               [--per-process=1] [--json] [--keep]
//
// Every process is sampled in the same state: before training round r + 1 (r = 0, every,
// 2·every, …, rounds) every site waits for the harness, so the coordinator has sent
// round/start to all and waits for their answers; the row is labelled "after round r".
// The run therefore has rounds + 1 rounds, the last one only to take the last sample.
// The verdict compares the first sample after warm-up (after round `every`) with the last;
// it is printed, not asserted. Progress goes to stderr, tables and the verdict to stdout
// (with --json: only the JSON on stdout).
import { cpus } from 'node:os';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { get } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import { hiddenFor, startFederation } from './bench-round-federation.mjs';
import { processBook } from './bench-processes.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const option = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const json = args.includes('--json');
const keep = args.includes('--keep');
const book = processBook('bench soak', { keep });
const { track, shutdown, usage, fail, progress } = book;
const intFlag = (name, fallback, min) => {
  const v = Number(option(name) ?? fallback);
  if (!Number.isInteger(v) || v < min) usage(`--${name} must be an integer ≥ ${min}, got ${option(name)}`);
  return v;
};
const rounds = intFlag('rounds', 500, 1);
const every = intFlag('every', 50, 1);
const siteCount = intFlag('sites', 5, 3); // secure aggregation needs 2t > n + 1 with t ≥ 2
const params = intFlag('params', 100_000, 10);
const perProcess = intFlag('per-process', 1, 1);
if (!Number.isInteger(hiddenFor(params))) usage(`--params must be 9h + 1 (the bench model: 7 features, one hidden layer of h), got ${params}`);
if (rounds % every !== 0) usage(`--rounds (${rounds}) must be a multiple of --every (${every})`);

/** What counts as growth between the warm sample and the last (printed, never asserted). */
const TOLERANCE = {
  rssBytes: 8 * 2 ** 20,
  rssRatio: 0.1,
  describe: 'RSS grows by at most 8 MiB or 10 % (whichever is larger); open fds, active handles, active requests and active resources (each type) unchanged; heap used shown, not judged (it swings with GC timing)',
};

// Scraped with a fresh connection closed after the answer, so the scrape itself is one
// socket in the scraped process, the same at every sample, and never a lingering keep-alive.
function scrape(url) {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, headers: { connection: 'close' }, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`${url}: HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within 10 s`)));
    req.on('error', reject);
  });
}

/** The figures of one process from its Prometheus text. */
function processFigures(text) {
  const value = (name) => {
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    if (!m) throw new Error(`${name} is missing from /metrics`);
    return Number(m[1]);
  };
  const byType = (name) => Object.fromEntries([...text.matchAll(new RegExp(`^${name}\\{type="([^"]+)"\\} (\\S+)$`, 'gm'))].map((m) => [m[1], Number(m[2])]));
  return {
    rss: value('process_resident_memory_bytes'),
    heapUsed: value('nodejs_heap_size_used_bytes'),
    external: value('nodejs_external_memory_bytes'),
    fds: value('process_open_fds'),
    handles: value('nodejs_active_handles_total'),
    requests: value('nodejs_active_requests_total'),
    resources: value('nodejs_active_resources_total'),
    resourcesByType: byType('nodejs_active_resources'),
  };
}

const sqlite = createRequire(join(root, 'coordinator', 'package.json'))('better-sqlite3');
const fileSize = (path) => (existsSync(path) ? statSync(path).size : 0);
function folderSize(dir) {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    total += entry.isDirectory() ? folderSize(full) : statSync(full).size;
  }
  return total;
}
/** The coordinator's store on disk and its audit table, read through a read-only connection. */
function storeFigures(coordDir, sites) {
  const dbPath = join(coordDir, 'coordinator.db');
  const db = new sqlite(dbPath, { readonly: true, fileMustExist: true });
  try {
    const audit = db.prepare('SELECT count(*) AS entries, coalesce(sum(length(kind) + length(coalesce(site, \'\')) + length(data_json) + length(prev_hash) + length(hash) + length(sig) + 8), 0) AS bytes FROM audit').get();
    return {
      dbBytes: fileSize(dbPath),
      walBytes: fileSize(`${dbPath}-wal`),
      auditEntries: audit.entries,
      auditBytes: audit.bytes,
      siteStateBytes: sites.reduce((n, s) => n + folderSize(join(s.dir, 'state')), 0),
    };
  } finally {
    db.close();
  }
}

const MiB = (b) => (b / 2 ** 20).toFixed(1);
const KiB = (b) => (b / 2 ** 10).toFixed(0);
const out = json ? (line) => console.error(line) : (line) => console.log(line);
const typesText = (t) => Object.entries(t).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v}`).join(', ');

function printSample(s) {
  out(`\nafter round ${s.afterRound}${s.afterRound === 0 ? ' (before the first round)' : ''}: ${s.elapsedS.toFixed(0)} s since the run started${s.roundsPerS ? `, ${s.roundsPerS.toFixed(2)} rounds/s since the last sample` : ''}`);
  out('| process | pid | RSS MiB | heap used MiB | external MiB | open fds | handles | requests | active resources by type |');
  out('|---|---|---|---|---|---|---|---|---|');
  for (const p of s.processes) out(`| ${p.name} | ${p.pid} | ${MiB(p.rss)} | ${MiB(p.heapUsed)} | ${MiB(p.external)} | ${p.fds} | ${p.handles} | ${p.requests} | ${typesText(p.resourcesByType)} |`);
  const st = s.store;
  out(`store: coordinator.db ${MiB(st.dbBytes)} MiB + WAL ${MiB(st.walBytes)} MiB; audit log ${st.auditEntries} entries (${MiB(st.auditBytes)} MiB); site state folders ${KiB(st.siteStateBytes)} KiB`);
}

function verdictOf(samples) {
  const warm = samples.find((s) => s.afterRound >= every) ?? samples[0];
  const last = samples.at(-1);
  const processes = last.processes.map((p) => {
    const w = warm.processes.find((q) => q.name === p.name);
    const allowed = Math.max(TOLERANCE.rssBytes, TOLERANCE.rssRatio * w.rss);
    const types = [...new Set([...Object.keys(w.resourcesByType), ...Object.keys(p.resourcesByType)])];
    const typeDeltas = Object.fromEntries(types.map((t) => [t, (p.resourcesByType[t] ?? 0) - (w.resourcesByType[t] ?? 0)]).filter(([, d]) => d !== 0));
    const series = samples.filter((s) => s.afterRound >= warm.afterRound).map((s) => s.processes.find((q) => q.name === p.name).rss);
    const growth = {
      rss: p.rss - w.rss,
      heapUsed: p.heapUsed - w.heapUsed,
      fds: p.fds - w.fds,
      handles: p.handles - w.handles,
      requests: p.requests - w.requests,
      resources: p.resources - w.resources,
      resourcesByType: typeDeltas,
      rssMaxAfterWarm: Math.max(...series) - w.rss,
    };
    // Heap used is shown, not judged: without a forced GC it swings by ±10 MiB between samples.
    const ok = growth.rss <= allowed && growth.fds === 0 && growth.handles === 0 && growth.requests === 0 && growth.resources === 0 && Object.keys(typeDeltas).length === 0;
    return { name: p.name, warm: w, last: p, growth, allowedRssGrowth: allowed, ok };
  });
  return { warmRound: warm.afterRound, lastRound: last.afterRound, tolerance: TOLERANCE.describe, processes, ok: processes.every((p) => p.ok) };
}

function printVerdict(v, store) {
  const signed = (b) => `${b >= 0 ? '+' : ''}${MiB(b)}`;
  const d = (n) => `${n >= 0 ? '+' : ''}${n}`;
  out(`\nGrowth from the warm sample (after round ${v.warmRound}) to the last (after round ${v.lastRound}); tolerance: ${v.tolerance}.`);
  out('| process | RSS MiB warm → last | RSS growth MiB (allowed) | largest RSS since warm, MiB over warm | heap used MiB warm → last | open fds | handles | requests | resources | verdict |');
  out('|---|---|---|---|---|---|---|---|---|---|');
  for (const p of v.processes) {
    const g = p.growth;
    const types = Object.keys(g.resourcesByType).length > 0 ? ` (${Object.entries(g.resourcesByType).map(([t, n]) => `${t} ${d(n)}`).join(', ')})` : '';
    out(`| ${p.name} | ${MiB(p.warm.rss)} → ${MiB(p.last.rss)} | ${signed(g.rss)} (${MiB(p.allowedRssGrowth)}) | ${signed(g.rssMaxAfterWarm)} | ${MiB(p.warm.heapUsed)} → ${MiB(p.last.heapUsed)} | ${p.warm.fds} → ${p.last.fds} | ${p.warm.handles} → ${p.last.handles} | ${p.warm.requests} → ${p.last.requests} | ${p.warm.resources} → ${p.last.resources}${types} | ${p.ok ? 'no growth' : 'GROWS'} |`);
  }
  out(`On disk, by design one entry per signed message and one checkpoint per round: audit log ${store.perRound.auditEntries.toFixed(1)} entries and ${KiB(store.perRound.auditBytes)} KiB per round, coordinator.db + WAL ${KiB(store.perRound.dbBytes)} KiB per round, site state folders ${KiB(store.perRound.siteStateBytes)} KiB per round.`);
  out(`verdict: ${v.ok ? 'no growth in any process' : `growth in ${v.processes.filter((p) => !p.ok).map((p) => p.name).join(', ')}`} over rounds ${v.warmRound}–${v.lastRound}`);
}

progress(`${rounds} rounds (+1 to take the last sample), ${siteCount} sites (${perProcess} per process) × ${params.toLocaleString('en-US')} parameters, secure aggregation; sampling every ${every} rounds`);
const row = { id: 'soak', sites: siteCount, params, secure: true };
const samples = [];
const began = performance.now();
let fed;
let runStartedAt;
let bar;
const paused = new Map();
let sampling = Promise.resolve();

async function takeSample(afterRound) {
  const processes = [{ name: 'coordinator', pid: fed.coordinator.pid, url: `${fed.url}/metrics` }, ...fed.children.map((c) => ({ name: `sites ${c.sites.join(', ')}`, pid: c.pid, url: c.metricsUrls[0] }))];
  const figures = [];
  for (const p of processes) figures.push({ name: p.name, pid: p.pid, ...processFigures(await scrape(p.url)) });
  const previous = samples.at(-1);
  const elapsedS = (performance.now() - runStartedAt) / 1000;
  const sample = {
    afterRound,
    elapsedS,
    roundsPerS: previous ? (afterRound - previous.afterRound) / (elapsedS - previous.elapsedS) : undefined,
    processes: figures,
    store: storeFigures(fed.coordDir, fed.sites),
  };
  samples.push(sample);
  bar?.stop();
  printSample(sample);
  if (bar) bar.start(rounds + 1, afterRound);
  else progress(`sampled after round ${afterRound}`);
}

/** Every site waits before training round r; once all do, sample "after round r − 1" and let them go. */
function onPaused(site, round) {
  const waiting = paused.get(round) ?? paused.set(round, new Set()).get(round);
  waiting.add(site);
  if (waiting.size < siteCount) return;
  paused.delete(round);
  sampling = sampling
    .then(() => takeSample(round - 1))
    .then(() => fed.children.forEach((c) => c.resume(round)))
    .catch((error) => fail(`sampling after round ${round - 1} failed: ${error?.message ?? error}`));
}

try {
  fed = await startFederation(row, { rounds: rounds + 1, track, progress, perProcess, soak: { pauseEvery: every, onPaused } });
  if (process.stderr.isTTY) {
    bar = new cliProgress.SingleBar({ format: ' soak |{bar}| round {value}/{total} | {eta_formatted} left', hideCursor: true }, cliProgress.Presets.shades_classic);
    bar.start(rounds + 1, 0);
  }
  fed.coordinator.onRound = (round) => bar?.update(round);
  runStartedAt = performance.now();
  const run = await fed.startRun();
  // Generous: 20 s a round on a loaded machine, plus start-up; the run fails long before on a hang (step timeouts).
  await fed.untilComplete(120 + 20 * (rounds + 1));
  await sampling;
  bar?.stop();
  const detail = await fed.api(`/api/runs/${run.id}`);
  const problems = [];
  if (detail.run.status !== 'completed') problems.push(`run ${detail.run.status}`);
  if (detail.rounds.length !== rounds + 1) problems.push(`${detail.rounds.length} rounds stored, ${rounds + 1} expected`);
  const short = detail.rounds.filter((r) => r.trained.length !== siteCount);
  if (short.length > 0) problems.push(`${short.length} round(s) without every site, first round ${short[0].round}: ${short[0].trained.length}/${siteCount}`);
  if (samples.length !== rounds / every + 1) problems.push(`${samples.length} samples taken, ${rounds / every + 1} expected`);
  if (problems.length > 0) throw new Error(problems.join('; '));
  const reports = await Promise.all(fed.children.map((c) => c.report()));
  const refusals = reports.flatMap((r) => r.sites.flatMap((s) => s.refusals.map((x) => `${s.name}: ${x}`)));
  const disconnects = reports.flatMap((r) => r.sites).reduce((n, s) => n + s.disconnects, 0);
  if (refusals.length > 0 || disconnects > 0) throw new Error(`${refusals.length} refusal(s) (${refusals[0] ?? ''}), ${disconnects} disconnection(s)`);
  await fed.stop();
} catch (error) {
  bar?.stop();
  if (book.interrupted) await new Promise(() => {}); // the signal handler is cleaning up and exits
  await fail(`soak failed: ${error?.message ?? error}`);
}
await shutdown();

const seconds = (performance.now() - began) / 1000;
const verdict = verdictOf(samples);
const first = samples.find((s) => s.afterRound === verdict.warmRound).store;
const lastStore = samples.at(-1).store;
const span = Math.max(1, verdict.lastRound - verdict.warmRound);
const perRound = Object.fromEntries(['auditEntries', 'auditBytes', 'siteStateBytes'].map((k) => [k, (lastStore[k] - first[k]) / span]));
perRound.dbBytes = (lastStore.dbBytes + lastStore.walBytes - first.dbBytes - first.walBytes) / span;
const c = cpus();
const machine = { cpus: c.length, model: c[0]?.model ?? 'unknown', node: process.version };
const config = { rounds, every, sites: siteCount, perProcess, params, secureAggregation: true };
if (json) {
  console.log(JSON.stringify({ machine, config, seconds, samples, verdict, store: { perRound } }, null, 2));
} else {
  printVerdict(verdict, { perRound });
  out(`\nmachine: ${machine.cpus} cpus (${machine.model}), node ${machine.node}; ${rounds + 1} rounds (the last only to sample after round ${rounds}) in ${seconds.toFixed(0)} s in all`);
}
