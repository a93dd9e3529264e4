// One measured configuration of `pnpm bench rounds`: a real coordinator (`cohort-coordinator
// serve`, its own process) with a fresh data directory, enrolled sites with real keys,
// policies and configs, site agents in child processes (bench-round-site.mjs), a run of
// 1 + R rounds started through the admin API, and the figures read back from the store
// (GET /api/runs/:id), the coordinator's log lines, its /metrics and the sites' byte counts.
import { fork, spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = (...p) => join(root, ...p);
const coordinatorLib = await import(dist('coordinator', 'dist', 'index.js'));
const sdk = await import(dist('packages', 'sdk', 'dist', 'index.js'));
const ml = await import(dist('packages', 'ml', 'dist', 'index.js'));
const identity = await import(dist('packages', 'identity', 'dist', 'index.js'));
const COORDINATOR_CLI = dist('coordinator', 'dist', 'cli.js');
const SITE_CHILD = dist('scripts', 'bench-round-site.mjs');
// The task's model is built (to its topology) in this process too.
await sdk.initBackend(undefined, { quiet: true });

/** Seven numeric features and one hidden layer of h units: (7 + 2)·h + 1 parameters, so P = 9h + 1 exactly. */
const FEATURES = 7;
export const hiddenFor = (params) => (params - 1) / (FEATURES + 2);

export function buildTask({ name, params, sites, secure, dp, rounds }) {
  const h = hiddenFor(params);
  if (!Number.isInteger(h)) throw new Error(`P = ${params} is not 9h + 1`);
  return sdk.buildManifest(
    sdk.defineTask({
      name,
      version: '1.0.0',
      model: ({ inputDim }) => sdk.mlp({ inputDim, hidden: [h] }),
      schema: { label: { name: 'y' }, clinical: Array.from({ length: FEATURES }, (_, i) => ({ name: `f${i + 1}`, type: 'number' })) },
      training: { epochs: 1, batchSize: 32, optimizer: 'sgd', learningRate: 0.1 },
      strategy: { name: 'fedavg' },
      rounds,
      // Every site in every round, like Flower's fraction_fit = 1 with min clients = all. With
      // site-level DP over secure aggregation each site's noise share is sized for minSites
      // sites, which a site accepts only up to the cohort less the colluders it guards against
      // (one by default): minSites = sites − 1 there, every site still selected (fractionFit 1).
      minSites: dp && secure ? sites - 1 : sites,
      seed: 1,
      timeouts: { train: 120, evaluate: 120 },
      secureAggregation: secure ? { stepTimeout: 60 } : false,
      ...(dp ? { privacy: { unit: 'site', clip: 1, noiseMultiplier: 1 } } : {}),
    }),
  );
}

/** Runs the configuration; `track` registers child processes and temp dirs for cleanup. */
export async function runConfiguration(row, { track, progress, perProcess, cpuProf }) {
  const rounds = 1 + row.rounds;
  const fed = await startFederation(row, { rounds, track, progress, perProcess, cpuProf });
  const { coordinator, children, logs, api } = fed;
  coordinator.onRound = (round, seconds) => progress(`  round ${round}/${rounds}${round === 1 ? ' (warm-up)' : ''}: ${seconds.toFixed(3)} s`);
  // CPU time of every process (all threads: /proc/<pid>/stat utime + stime) over the measured
  // rounds: from the log line of round 2's train phase to the log line of the run's end.
  let cpuFrom;
  coordinator.onPhase = (round, phase) => {
    if (round === 2 && phase === 'train' && cpuFrom === undefined) cpuFrom = cpuSample(coordinator, children);
  };
  const run = await fed.startRun();
  await fed.untilComplete(row.deadlineS);
  const cpuTo = cpuSample(coordinator, children);
  const detail = await api(`/api/runs/${run.id}`);
  const metrics = await api('/metrics');
  const reports = await Promise.all(children.map((c) => c.report()));
  await fed.stop();
  const cpu = cpuFrom && {
    coordinatorMs: cpuTo.coordinator - cpuFrom.coordinator,
    sitesMs: cpuTo.sites - cpuFrom.sites,
    rounds: rounds - 1,
  };
  return { rounds, detail, metrics, reports: reports.flatMap((r) => r.sites), stray: reports.reduce((n, r) => n + r.stray, 0), phases: coordinator.phases, backend: coordinator.backend, logs, cpu };
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU milliseconds (user + system, every thread) a process has used so far, from /proc. */
export function cpuMsOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) in parentheses: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

function cpuSample(coordinator, children) {
  return { coordinator: cpuMsOf(coordinator.pid), sites: children.reduce((sum, c) => sum + cpuMsOf(c.pid), 0) };
}

/**
 * Sets a federation up and starts it, with no run yet: a fresh data directory, the task
 * published for `rounds` rounds, enrolled sites, the coordinator process and the site
 * processes, every agent authenticated. Shared by `pnpm bench rounds` and `pnpm bench soak`.
 * `soak`: site agents serve /metrics, keep no per-answer records, and each pauses before
 * training every round r with (r − 1) % soak.pauseEvery === 0 until resumed (onPaused).
 */
export async function startFederation(row, { rounds, track, progress, perProcess, cpuProf, soak }) {
  const dir = mkdtempSync(join(tmpdir(), 'cohortfl-bench-rounds-'));
  track.dir(dir);
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  track.logs(logs);
  const coordDir = join(dir, 'coordinator');
  const init = await coordinatorLib.initCoordinator(coordDir);
  const configPath = join(coordDir, 'config.json');
  writeFileSync(configPath, JSON.stringify({ ...JSON.parse(readFileSync(configPath, 'utf8')), logLevel: 'info', retryDelayMs: 500 }, null, 2));
  const cli = async (args) => {
    const err = [];
    const out = [];
    const code = await coordinatorLib.runCli([...args, '--data-dir', coordDir], { out: (l) => out.push(l), err: (l) => err.push(l), env: {} });
    if (code !== 0) throw new Error(`cohort-coordinator ${args.join(' ')} failed (${code}): ${err.join('\n')}`);
    return out.join('\n');
  };

  const name = `bench-${row.id}`;
  const built = buildTask({ name, params: row.params, sites: row.sites, secure: row.secure, dp: row.dp, rounds });
  const exact = await ml.countParameters(built.manifest.task.model);
  if (exact !== row.params) throw new Error(`the model has ${exact} parameters, expected ${row.params}`);
  const manifestPath = join(dir, 'task.manifest.json');
  writeFileSync(manifestPath, built.json);

  // Each hospital: a key, a policy approving this task's hash, a config. dataDir must exist
  // (config validation), but it stays empty: the bench's work loads nothing.
  const sites = [];
  for (let i = 0; i < row.sites; i++) {
    const siteName = `site-${String(i + 1).padStart(2, '0')}`;
    const siteDir = join(dir, 'sites', siteName);
    mkdirSync(join(siteDir, 'empty-data'), { recursive: true });
    const id = identity.generateIdentity();
    identity.writeKeyFile(join(siteDir, 'site.key'), id);
    await cli(['sites', 'add', siteName, '--public-key', identity.encodePublicKey(id.publicKey)]);
    // With DP the hospital also sets a budget (ledger written and fsynced every round), as one demanding DP would.
    sites.push({ name: siteName, index: i, dir: siteDir });
  }
  // Every hospital pins the consortium membership the operator hands out.
  const consortiumFile = join(dir, 'consortium.json');
  const consortiumHash = /sha256 ([0-9a-f]{64})/.exec(await cli(['sites', 'consortium', '--out', consortiumFile]))?.[1];
  if (!consortiumHash) throw new Error('sites consortium printed no hash');
  for (const s of sites) {
    const privacy = row.dp ? { privacy: { epsilonMax: 1000, delta: 1e-5 } } : {};
    const consortium = { file: consortiumFile, sha256: consortiumHash };
    writeFileSync(join(s.dir, 'policy.json'), JSON.stringify({ acceptTasks: true, approvedTaskHashes: [built.hash], minCohortSize: 2, consortium, ...privacy }));
  }
  await cli(['tasks', 'publish', manifestPath]);

  const coordinator = startCoordinator(coordDir, logs, track, cpuProf);
  const url = await coordinator.listening;
  for (const s of sites) {
    s.configPath = join(s.dir, 'site.json');
    writeFileSync(s.configPath, JSON.stringify({
      site: s.name,
      coordinator: { url, publicKey: init.publicKey },
      keyFile: 'site.key',
      dataDir: 'empty-data',
      policy: 'policy.json',
      stateDir: 'state',
      ...(soak ? { metrics: { host: '127.0.0.1', port: 0 } } : {}),
    }));
  }
  const children = [];
  for (let i = 0; i < sites.length; i += perProcess) {
    children.push(startSiteChild(sites.slice(i, i + perProcess), join(dir, `sites-${children.length + 1}`), logs, track, cpuProf, soak));
  }
  await Promise.all(children.map((c) => c.ready));
  progress(`${sites.length} site agents authenticated (${children.length} processes); running ${rounds} rounds`);

  const token = readFileSync(join(coordDir, 'admin-token'), 'utf8').trim();
  const api = async (path, init = {}) => {
    const res = await fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
    const text = await res.text();
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${text}`);
    return path === '/metrics' ? text : JSON.parse(text);
  };
  return {
    url,
    api,
    coordinator,
    children,
    sites,
    logs,
    coordDir,
    startRun: () => api('/api/runs', { method: 'POST', body: JSON.stringify({ task: name, rounds }) }),
    /** Resolves when the coordinator logs `run complete`; rejects on a failed attempt, a dead process or the deadline. */
    untilComplete: (deadlineS) => Promise.race([
      coordinator.runComplete,
      ...children.map((c) => c.failed),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`the run did not complete within ${deadlineS} s (logs: ${logs})`)), deadlineS * 1000).unref()),
    ]),
    async stop() {
      await Promise.all(children.map((c) => c.stop()));
      await coordinator.stop();
    },
  };
}

function startCoordinator(coordDir, logs, track, cpuProf) {
  const args = [...(cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`] : []), COORDINATOR_CLI, 'serve', '--data-dir', coordDir, '--host', '127.0.0.1', '--port', '0'];
  const child = spawn(process.execPath, args, { env: { ...process.env, COHORTFL_QUIET: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  track.child(child);
  const log = createWriteStream(join(logs, 'coordinator.log'));
  const state = { phases: new Map(), backend: undefined, onRound: undefined, onPhase: undefined };
  let resolveUrl, rejectUrl, resolveDone, rejectDone;
  const listening = new Promise((res, rej) => ((resolveUrl = res), (rejectUrl = rej)));
  const runComplete = new Promise((res, rej) => ((resolveDone = res), (rejectDone = rej)));
  runComplete.catch(() => {});
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
    const m = /listening on (\S+)/.exec(out);
    if (m) resolveUrl(m[1]);
  });
  let buffer = '';
  child.stderr.on('data', (chunk) => {
    log.write(chunk);
    buffer += chunk;
    let i;
    while ((i = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      let e;
      try {
        e = JSON.parse(line);
      } catch {
        continue;
      }
      const at = (round) => state.phases.get(round) ?? state.phases.set(round, {}).get(round);
      if (e.msg === 'TensorFlow.js backend ready') state.backend = e.backend;
      else if (e.msg === 'phase started') {
        at(e.round)[e.phase] = e.time;
        state.onPhase?.(e.round, e.phase);
      }
      else if (e.msg === 'round complete') {
        at(e.round).complete = e.time;
        state.onRound?.(e.round, (e.time - at(e.round).train) / 1000);
      } else if (e.msg === 'run complete') resolveDone();
      else if (e.msg === 'round attempt failed') rejectDone(new Error(`round ${e.round} attempt ${e.attempt} failed: ${e.code} ${e.reason} (logs: ${logs})`));
      else if (e.level >= 50) rejectDone(new Error(`coordinator error: ${e.msg} ${e.err?.message ?? ''} (logs: ${logs})`));
    }
  });
  const exited = new Promise((res) => child.once('exit', res));
  exited.then((code) => {
    const why = new Error(`the coordinator exited (code ${code}); see ${join(logs, 'coordinator.log')}`);
    rejectUrl(why);
    rejectDone(why);
  });
  return Object.assign(state, {
    pid: child.pid,
    listening,
    runComplete,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  });
}

function startSiteChild(sites, specBase, logs, track, cpuProf, soak) {
  const specPath = `${specBase}.json`;
  const soakSpec = soak ? { keepRecords: false, pauseEvery: soak.pauseEvery } : {};
  writeFileSync(specPath, JSON.stringify({ sites: sites.map(({ name, index, configPath }) => ({ name, index, configPath })), ...soakSpec }));
  const execArgv = cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`] : [];
  const child = fork(SITE_CHILD, [specPath], { env: { ...process.env, COHORTFL_QUIET: '1' }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv });
  track.child(child);
  child.stderr.pipe(createWriteStream(join(logs, `${sites[0].name}+${sites.length - 1}.log`)));
  const waiters = new Map();
  let failedWith;
  const failed = new Promise((_, reject) => (failedWith = reject));
  failed.catch(() => {});
  const handle = { sites: sites.map((s) => s.name), metricsUrls: [] };
  const ready = new Promise((resolve, reject) => {
    child.on('message', (m) => {
      if (m.kind === 'ready') {
        handle.metricsUrls = m.metricsUrls ?? [];
        resolve();
      } else if (m.kind === 'failed') reject(new Error(m.message));
      else if (m.kind === 'paused') soak?.onPaused(m.site, m.round);
      else waiters.get(m.kind)?.(m);
    });
    child.once('exit', (code) => {
      const e = new Error(`a site process (${sites.map((s) => s.name).join(', ')}) exited with code ${code}; see ${logs}`);
      reject(e);
      failedWith(e);
    });
  });
  const exited = new Promise((res) => child.once('exit', res));
  return Object.assign(handle, {
    pid: child.pid,
    ready,
    failed,
    /** Lets this process's sites paused before training `round` go on. */
    resume: (round) => child.connected && child.send({ kind: 'resume', round }),
    report: () => new Promise((resolve) => {
      waiters.set('report', resolve);
      child.send({ kind: 'report' });
    }),
    async stop() {
      if (child.exitCode !== null) return;
      child.send({ kind: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  });
}
