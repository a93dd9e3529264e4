#!/usr/bin/env node
// `pnpm bench refusals`: what refused frames cost a real coordinator (`cohort-coordinator
// serve`, its own process, on loopback). Every figure it prints is measured in the run.
//
// 1. The burst: an authenticated site (the site agent's own Session, so the handshake is the
//    real one) sends 500 two-byte junk frames at once while this process polls /healthz one
//    request after another; printed: the /healthz latencies during the burst, how many frames
//    were refused, whether the session was closed. Twice: with the default refusal limits
//    (the session is closed after refusals.closeAfter) and with closeAfter raised so that
//    every one of the 500 frames is refused.
// 2. The campaign: --frames junk frames (default 100,000) from authenticated sessions (each
//    sends closeAfter + 1 frames, is closed, and reconnects) plus --strangers connections that
//    send junk before hello; then a clean stop and `audit export`: printed, the frames the
//    coordinator refused (/metrics) and the audit entries they added.
//
//   node scripts/bench-refusals.mjs [--frames=100000] [--strangers=1000] [--json]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { io } from 'socket.io-client';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = (...p) => join(root, ...p);
const identityLib = await import(dist('packages', 'identity', 'dist', 'index.js'));
const wire = await import(dist('packages', 'wire', 'dist', 'index.js'));
const { Session } = await import(dist('site-agent', 'dist', 'session.js'));
const { DEFAULTS } = await import(dist('coordinator', 'dist', 'config.js'));
const COORDINATOR_CLI = dist('coordinator', 'dist', 'cli.js');

const args = process.argv.slice(2);
const option = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const FRAMES = Number(option('frames') ?? 100_000);
const STRANGERS = Number(option('strangers') ?? 1000);
const json = args.includes('--json');
const BURST = 500;
const JUNK = new Uint8Array([0xc1, 0xc1]); // msgpack never uses 0xc1: refused as malformed

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {}, child() { return quiet; } };
const children = new Set();
const dirs = new Set();
const cleanup = () => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
};
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

function cli(argv, env = {}) {
  const r = spawnSync(process.execPath, [COORDINATOR_CLI, ...argv], { encoding: 'utf8', env: { ...process.env, COHORTFL_QUIET: '1', ...env } });
  if (r.status !== 0) throw new Error(`cohort-coordinator ${argv.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** A fresh data dir with one enrolled site, and `serve` started on it. */
async function coordinator(env = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cohortfl-bench-refusals-'));
  dirs.add(dir);
  const dataDir = join(dir, 'coord');
  cli(['init', '--data-dir', dataDir]);
  const identity = identityLib.generateIdentity();
  cli(['sites', 'add', 'alpha', '--public-key', identityLib.encodePublicKey(identity.publicKey), '--data-dir', dataDir]);
  const log = openSync(join(dir, 'coordinator.log'), 'w');
  const child = spawn(process.execPath, [COORDINATOR_CLI, 'serve', '--data-dir', dataDir, '--port', '0', '--log-level', 'warn'], {
    env: { ...process.env, COHORTFL_QUIET: '1', ...env },
    stdio: ['ignore', 'pipe', log],
  });
  children.add(child);
  const exited = new Promise((resolve) => child.once('exit', (code) => (children.delete(child), resolve(code))));
  const servePath = join(dataDir, 'serve.json');
  let out = '';
  child.stdout.on('data', (b) => (out += b));
  for (let i = 0; !out.includes('listening') || !existsSync(servePath); i++) {
    if (i > 600) throw new Error(`the coordinator did not start: ${readFileSync(join(dir, 'coordinator.log'), 'utf8')}`);
    await sleep(50);
  }
  const { url } = JSON.parse(readFileSync(servePath, 'utf8'));
  return { dataDir, url, identity, child, exited };
}

function coordinatorKeyOf(dataDir) {
  return identityLib.encodePublicKey(identityLib.readKeyFile(join(dataDir, 'coordinator.key')).publicKey);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The site agent's Session to `url`, resolved once welcomed; counts the coordinator's error replies. */
function authenticate(c) {
  return new Promise((resolve, reject) => {
    const state = { errors: 0, closed: false };
    const session = new Session({
      url: c.url,
      site: 'alpha',
      identity: c.identity,
      coordinatorKey: coordinatorKeyOf(c.dataDir),
      codec: wire.createCodec(),
      logger: quiet,
      onAuthenticated: () => resolve({ session, socket: session.socket, state }),
      onClosed: () => {},
      onMessage: (env) => {
        if (env.type === 'error') state.errors += 1;
      },
      onUndecodable: () => {},
      onHandshakeRefused: (reason, message) => reject(new Error(`handshake refused: ${reason}: ${message}`)),
    });
    session.socket.on('disconnect', () => (state.closed = true));
    session.start();
  });
}

async function healthz(url) {
  const t0 = performance.now();
  const r = await fetch(`${url}/healthz`);
  await r.arrayBuffer();
  if (r.status !== 200) throw new Error(`/healthz answered ${r.status}`);
  return performance.now() - t0;
}

async function metricSum(url, name) {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `)).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

/**
 * Polls /healthz one request after another from a worker thread (its own event loop, so
 * this thread sending the burst does not delay the polls) until stop(); resolves the latencies.
 * The worker's first requests (loading fetch, opening the connection) are not recorded:
 * `ready` resolves once they are done.
 */
function pollHealthz(url) {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     let polling = true;
     const latencies = [];
     parentPort.on('message', () => { polling = false; });
     const get = async () => { const r = await fetch(workerData + '/healthz'); await r.arrayBuffer(); return r; };
     (async () => {
       for (let i = 0; i < 10; i++) await get();
       parentPort.postMessage('ready');
       while (polling) {
         const t0 = performance.now();
         const r = await get();
         if (r.status !== 200) throw new Error('/healthz answered ' + r.status);
         latencies.push(performance.now() - t0);
       }
       parentPort.postMessage(latencies);
     })();`,
    { eval: true, workerData: url },
  );
  let ready;
  const done = new Promise((resolve, reject) => {
    ready = new Promise((r) => worker.on('message', (m) => (m === 'ready' ? r() : resolve(m))));
    worker.once('error', reject);
  });
  return {
    ready,
    stop: async () => {
      worker.postMessage('stop');
      const latencies = await done;
      await worker.terminate();
      return latencies;
    },
  };
}

/** 500 junk frames at once from an authenticated site, /healthz polled throughout. */
async function burst(label, env) {
  const c = await coordinator(env);
  const idlePoller = pollHealthz(c.url);
  await idlePoller.ready;
  await sleep(500);
  const idle = await idlePoller.stop();
  const site = await authenticate(c);
  const before = await metricSum(c.url, 'cohort_messages_rejected_total');
  const poller = pollHealthz(c.url);
  await poller.ready;
  await sleep(100);
  for (let i = 0; i < BURST; i++) site.socket.emit('msg', JUNK);
  // Until every frame is answered or the session is closed, then a little longer.
  const end = performance.now() + 30_000;
  while (!site.state.closed && site.state.errors < BURST && performance.now() < end) await sleep(5);
  await sleep(100);
  const during = await poller.stop();
  const closed = site.state.closed;
  site.session.stop();
  const refused = (await metricSum(c.url, 'cohort_messages_rejected_total')) - before;
  c.child.kill('SIGTERM');
  await c.exited;
  return { label, frames: BURST, refused, answered: site.state.errors, closed, idle: { p50: quantile(idle, 0.5), max: Math.max(...idle) }, during: { samples: during.length, p50: quantile(during, 0.5), max: Math.max(...during) } };
}

/** A junk campaign; the audit entries it adds, counted after a clean stop. */
async function campaign() {
  const c = await coordinator();
  const entriesBefore = JSON.parse(cli(['audit', 'export', '--data-dir', c.dataDir])).entries.length;
  const perSession = DEFAULTS.refusals.closeAfter + 1;
  let sent = 0;
  let sessions = 0;
  const t0 = performance.now();
  while (sent < FRAMES) {
    const site = await authenticate(c);
    sessions += 1;
    const n = Math.min(perSession, FRAMES - sent);
    for (let i = 0; i < n; i++) site.socket.emit('msg', JUNK);
    sent += n;
    const end = performance.now() + 30_000;
    while (!site.state.closed && site.state.errors < n && performance.now() < end) await sleep(2);
    site.session.stop();
  }
  // Strangers: junk before hello, 50 connections at a time.
  let strangers = 0;
  for (let i = 0; i < STRANGERS; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, STRANGERS - i) }, () =>
        new Promise((resolve) => {
          const s = io(c.url, { parser: wire.msgpackrParser, transports: ['websocket'], reconnection: false, forceNew: true });
          s.on('connect', () => s.emit('msg', JUNK));
          s.on('disconnect', () => resolve());
          s.on('connect_error', () => resolve());
          setTimeout(() => (s.close(), resolve()), 10_000);
        }).then(() => (strangers += 1)),
      ),
    );
  }
  const seconds = (performance.now() - t0) / 1000;
  const refused = await metricSum(c.url, 'cohort_messages_rejected_total');
  c.child.kill('SIGTERM');
  const code = await c.exited;
  if (code !== 0) throw new Error(`the coordinator exited ${code} on SIGTERM`);
  const log = JSON.parse(cli(['audit', 'export', '--data-dir', c.dataDir]));
  // The export appends its own seal; everything between the two exports came from the campaign.
  const added = log.entries.slice(entriesBefore, -1);
  const kinds = {};
  for (const e of added) kinds[e.kind] = (kinds[e.kind] ?? 0) + 1;
  const counted = added.filter((e) => e.kind === 'refusals').reduce((n, e) => n + e.data.count, 0);
  return { frames: sent + strangers, authenticatedFrames: sent, sessions, strangers, refused, seconds, entriesAdded: added.length, kinds, refusalsCounted: counted };
}

const bursts = [
  await burst(`defaults (closeAfter ${DEFAULTS.refusals.closeAfter} in ${DEFAULTS.refusals.windowSeconds} s)`, {}),
  await burst('closeAfter raised to 1,000,000 (every frame refused)', { COHORT_REFUSAL_CLOSE_AFTER: '1000000' }),
];
const camp = await campaign();

if (json) {
  console.log(JSON.stringify({ bursts, campaign: camp }, null, 2));
} else {
  const ms = (x) => `${x.toFixed(1)} ms`;
  console.log(`/healthz while an authenticated site sends ${BURST} two-byte junk frames at once (real coordinator process, loopback):`);
  for (const b of bursts) {
    console.log(`  ${b.label}`);
    console.log(`    refused ${b.refused} of ${b.frames} frames (${b.answered} answered with error), session ${b.closed ? 'closed by the coordinator' : 'open'}`);
    console.log(`    /healthz before the burst (0.5 s): p50 ${ms(b.idle.p50)}, max ${ms(b.idle.max)}; during the burst: ${b.during.samples} requests, p50 ${ms(b.during.p50)}, max ${ms(b.during.max)}`);
  }
  console.log(`junk campaign: ${camp.frames.toLocaleString('en')} frames (${camp.authenticatedFrames.toLocaleString('en')} from ${camp.sessions} authenticated sessions, ${camp.strangers} from unauthenticated connections) in ${camp.seconds.toFixed(1)} s`);
  console.log(`  refused by the coordinator (/metrics): ${camp.refused.toLocaleString('en')}; counted in the audit log's refusals entries: ${camp.refusalsCounted.toLocaleString('en')}`);
  console.log(`  audit entries added: ${camp.entriesAdded} (${Object.entries(camp.kinds).map(([k, n]) => `${k}: ${n}`).join(', ')})`);
}
