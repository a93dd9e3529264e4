#!/usr/bin/env node
// A child process of `pnpm bench rounds`: real site agents (startSiteAgent, the code
// `cohort-site run` runs), several per process, whose work is trivial so what is timed
// is the framework: train returns a small deterministic update (the new weights are
// start.weights plus it), evaluate returns fixed metrics, no data is loaded. The
// hospital's policy, signatures, signed-message records, DP and secure aggregation are
// the agent's own. Every byte a site sends is counted on its TCP socket(s), and a
// snapshot is taken at each answer it sends, so the parent can split bytes by round
// and phase.
//
//   node scripts/bench-round-site.mjs <spec.json>     (forked with an IPC channel)
// spec: { sites: [{ name, configPath, index }], keepRecords?: false, pauseEvery?: n }
// → parent: { kind: 'ready', metricsUrls } once every site is authenticated,
//           { kind: 'failed', message }, { kind: 'report', sites: [...] } on request.
// For `pnpm bench soak`: keepRecords false keeps no per-answer snapshot (they would grow
// with the rounds in this process), and with pauseEvery each site, before training round
// r with (r − 1) % pauseEvery === 0, sends { kind: 'paused', site, round } and waits for
// { kind: 'resume', round }: the parent samples every process in the same state.
import diagnostics from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { createLogger, loadSiteConfig, startSiteAgent } = await import(join(root, 'site-agent', 'dist', 'index.js'));

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const send = (message) => process.connected && process.send(message);
const fail = (message) => {
  send({ kind: 'failed', message });
  process.exitCode = 1;
};

/** Sockets opened while a site is connecting are that site's (agents start one after the other). */
let connecting;
const stray = [];
diagnostics.subscribe('net.client.socket', ({ socket }) => (connecting ? connecting.sockets.push(socket) : stray.push(socket)));

const bytesOf = (state) => state.sockets.reduce((sum, s) => sum + s.bytesWritten, 0);
const bytesReadOf = (state) => state.sockets.reduce((sum, s) => sum + s.bytesRead, 0);

/** Rounds the parent has let go on (pauseEvery), and the sites waiting for one. */
const resumed = new Set();
const waiting = new Map();
function pauseBefore(state, round) {
  if (!spec.pauseEvery || (round - 1) % spec.pauseEvery !== 0 || state.paused.has(round)) return undefined;
  state.paused.add(round);
  if (resumed.has(round)) return undefined;
  send({ kind: 'paused', site: state.name, round });
  return new Promise((resolve) => waiting.set(round, [...(waiting.get(round) ?? []), resolve]));
}

/** Trivial work: a small update that depends only on (site, round, coordinate); fixed metrics. */
function trivialWork(state) {
  return () => ({
    async load() {},
    async train(start) {
      await pauseBefore(state, start.round);
      state.params = start.weights.length;
      // A 17-periodic pattern, copied out by doubling: memcpy speed, so the work stays trivial at 1M.
      const update = new Float32Array(start.weights.length);
      const shift = 31 * state.index + 7 * start.round;
      for (let i = 0; i < Math.min(17, update.length); i++) update[i] = 1e-4 * ((((i + shift) % 17) - 8) / 8);
      for (let n = 17; n < update.length; n *= 2) update.copyWithin(n, 0, Math.min(n, update.length - n));
      return { update, numExamples: 100 + state.index, metrics: { loss: 0.5 } };
    },
    async evaluate() {
      return { numExamples: 50, metrics: { auc: 0.5, loss: 0.69, accuracy: 0.5 } };
    },
  });
}

const states = [];
const agents = [];
const metricsUrls = [];
let stopping = false;

async function startOne(site) {
  const state = { name: site.name, index: site.index, sockets: [], records: [], disconnects: 0, refusals: [], params: 0, paused: new Set() };
  states.push(state);
  connecting = state;
  const config = loadSiteConfig(site.configPath);
  let connected;
  const ready = new Promise((resolve) => (connected = resolve));
  const agent = await startSiteAgent(config, {
    // The default production level: the agent's own info lines (one per answer) are part of its cost.
    logger: createLogger('info', site.name),
    work: trivialWork(state),
    onEvent: (event) => {
      if (event.kind === 'metrics') metricsUrls.push(event.url);
      else if (event.kind === 'connected') connected();
      else if (event.kind === 'disconnected' && !stopping) state.disconnects += 1;
      else if (event.kind === 'replied') {
        const r = event.reply;
        // Snapshot after the answer left: bytes up to and including it.
        if (spec.keepRecords !== false) state.records.push({ type: r.type, round: r.round, attempt: r.attempt, delivered: event.delivered, up: bytesOf(state), down: bytesReadOf(state) });
        if (r.type === 'round/refuse') state.refusals.push(`${r.error.code}: ${r.error.message}`);
      }
    },
  });
  agents.push(agent);
  await ready;
  connecting = undefined;
}

async function stopAll() {
  stopping = true;
  await Promise.allSettled(agents.map((a) => a.stop()));
}

process.on('message', async (message) => {
  if (message?.kind === 'report') {
    send({
      kind: 'report',
      stray: stray.length,
      sites: states.map((s) => ({ name: s.name, params: s.params, records: s.records, disconnects: s.disconnects, refusals: s.refusals, sockets: s.sockets.length, up: bytesOf(s) })),
    });
  } else if (message?.kind === 'resume') {
    resumed.add(message.round);
    for (const resolve of waiting.get(message.round) ?? []) resolve();
    waiting.delete(message.round);
  } else if (message?.kind === 'stop') {
    await stopAll();
    process.disconnect?.();
    process.exit(0);
  }
});
// The parent is gone (crash, Ctrl-C): never outlive it.
process.on('disconnect', () => {
  if (!stopping) stopAll().finally(() => process.exit(0));
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopAll().finally(() => process.exit(0)));

try {
  for (const site of spec.sites) await startOne(site);
  send({ kind: 'ready', metricsUrls });
} catch (error) {
  fail(`site agents did not start: ${error?.message ?? error}`);
  await stopAll();
  process.exit(1);
}
