#!/usr/bin/env node
// `pnpm demo`: a real consortium on this machine. Generates the cad-risk hospitals,
// starts a coordinator and four hospital site agents as separate OS processes on
// loopback, enrolls the sites with real Ed25519 keys, publishes the task, runs the
// rounds with a live progress display, and ends with a summary. Ctrl-C stops every
// process cleanly. State and logs stay in .cohortfl/demo (replaced on the next run).
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import Table from 'cli-table3';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '20' },
    sites: { type: 'string', default: '4' },
    state: { type: 'string', default: join(root, '.cohortfl', 'demo') },
    port: { type: 'string', default: '0' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(`Usage: pnpm demo [--rounds 20] [--sites 4] [--state .cohortfl/demo] [--port 0] [--keep]
  --port  the coordinator's port (0: a free one); the dashboard is at http://127.0.0.1:<port>/dashboard/
  --keep  after the run, keep the coordinator and sites up (for the dashboard) until Ctrl-C`);
  process.exit(0);
}
const rounds = Number(values.rounds);
const siteCount = Number(values.sites);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 500) fail(`--rounds must be an integer 1..500, got ${values.rounds}`);
if (!Number.isInteger(siteCount) || siteCount < 2 || siteCount > 5) fail(`--sites must be an integer 2..5, got ${values.sites}`);
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be an integer 0..65535, got ${values.port}`);

const COORDINATOR = join(root, 'coordinator', 'dist', 'cli.js');
const SITE = join(root, 'site-agent', 'dist', 'cli.js');
const state = values.state;
const logs = join(state, 'logs');
const children = new Set();
let stopping = false;

function fail(message) {
  console.error(`demo: ${message}`);
  process.exit(1);
}
const say = (line) => console.log(`demo: ${line}`);

/** Run a CLI to completion; its output is returned, and kept in the logs. */
function run(cli, args, label) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, COHORTFL_QUIET: '1' } });
  writeFileSync(join(logs, `${label}.log`), `$ ${args.join(' ')}\n${r.stdout}${r.stderr}`, { flag: 'a' });
  if (r.status !== 0) fail(`${label} failed (exit ${r.status}):\n${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Start a long-running CLI; resolves with the first stdout line matching `ready`. */
function start(cli, args, label, ready) {
  const child = spawn(process.execPath, [cli, ...args], { cwd: root, env: { ...process.env, COHORTFL_QUIET: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const log = createWriteStream(join(logs, `${label}.log`));
  child.stderr.pipe(log);
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`${label} did not start within 60 s; see ${join(logs, `${label}.log`)}`)), 60_000);
    child.stdout.on('data', (chunk) => {
      log.write(chunk);
      buffer += chunk;
      const match = buffer.match(ready);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match });
      }
    });
    child.on('exit', (code) => {
      children.delete(child);
      if (!stopping) reject(new Error(`${label} exited with code ${code}; see ${join(logs, `${label}.log`)}`));
    });
  });
}

async function stopAll() {
  stopping = true;
  const exits = [...children].map((c) => new Promise((r) => { c.once('exit', r); c.kill('SIGTERM'); setTimeout(() => c.kill('SIGKILL'), 5000).unref(); }));
  await Promise.all(exits);
}

process.on('SIGINT', async () => {
  console.log('\ndemo: stopping every process…');
  await stopAll();
  console.log(`demo: stopped. State and logs are in ${state}`);
  process.exit(130);
});

async function main() {
  rmSync(state, { recursive: true, force: true });
  mkdirSync(logs, { recursive: true });

  // 1. The hospitals' data and the task (the ML engineer's side).
  const sdk = await import(join(root, 'packages', 'sdk', 'dist', 'index.js'));
  const example = await import(join(root, 'examples', 'cad-risk', 'dist', 'index.js'));
  say('generating the cad-risk hospitals (first run only)…');
  const consortium = await example.ensureConsortium();
  await sdk.initBackend(undefined, { quiet: true });
  const task = example.cadRiskTask({ variants: consortium.panel, rounds });
  const built = sdk.buildManifest(task);
  const manifestPath = join(state, 'cad-risk.manifest.json');
  writeFileSync(manifestPath, built.json);
  say(`task cad-risk ${task.version}, manifest hash ${built.hash.slice(0, 16)}…, secure aggregation ${task.secureAggregation.enabled ? 'on' : 'off'}`);

  // 2. The operator: init and serve the coordinator.
  const coordDir = join(state, 'coordinator');
  run(COORDINATOR, ['init', '--data-dir', coordDir], 'coordinator-init');
  const { match } = await start(COORDINATOR, ['serve', '--data-dir', coordDir, '--host', '127.0.0.1', '--port', String(port)], 'coordinator', /listening on (\S+)/);
  const url = match[1];
  const token = readFileSync(join(coordDir, 'admin-token'), 'utf8').trim();
  const identity = await import(join(root, 'packages', 'identity', 'dist', 'index.js'));
  const coordinatorKey = identity.encodePublicKey(identity.readKeyFile(join(coordDir, 'coordinator.key')).publicKey);
  say(`coordinator listening on ${url}`);
  say(`dashboard: ${url}/dashboard/ (operator sign-in: the token in ${join(coordDir, 'admin-token')}; read-only: ${join(coordDir, 'viewer-token')})`);

  // 3. Each hospital: a key, a policy approving this task, a config; the operator enrolls its key.
  const chosen = consortium.sites.slice(-siteCount);
  for (const site of chosen) {
    const dir = join(state, 'sites', site.name);
    mkdirSync(dir, { recursive: true });
    const out = run(SITE, ['keygen', '--out', join(dir, 'site.key')], `${site.name}-keygen`);
    const publicKey = out.match(/ed25519:[A-Za-z0-9_-]{43}/)?.[0];
    if (!publicKey) fail(`could not read ${site.name}'s public key from keygen output`);
    run(COORDINATOR, ['sites', 'add', site.name, '--public-key', publicKey, '--data-dir', coordDir], 'coordinator-sites');
    writeFileSync(join(dir, 'site.json'), JSON.stringify({
      site: site.name,
      coordinator: { url, publicKey: coordinatorKey },
      keyFile: 'site.key',
      dataDir: site.dataDir,
      ...(site.mapping ? { mapping: site.mapping } : {}),
      policy: 'policy.json',
      stateDir: 'state',
      metrics: { host: '127.0.0.1', port: 0 },
    }, null, 2));
  }
  // The operator hands every hospital the consortium membership; each checks its hash out of
  // band and pins it, so secure aggregation peers can only be these sites with these keys.
  const consortiumFile = join(state, 'consortium.json');
  const consortiumOut = run(COORDINATOR, ['sites', 'consortium', '--out', consortiumFile, '--data-dir', coordDir], 'coordinator-consortium');
  const consortiumHash = consortiumOut.match(/sha256 ([0-9a-f]{64})/)?.[1];
  if (!consortiumHash) fail('could not read the consortium hash');
  for (const site of chosen) {
    const policy = { acceptTasks: true, approvedTaskHashes: [built.hash], minCohortSize: 2, consortium: { file: consortiumFile, sha256: consortiumHash } };
    writeFileSync(join(state, 'sites', site.name, 'policy.json'), JSON.stringify(policy, null, 2));
  }
  run(COORDINATOR, ['tasks', 'publish', manifestPath, '--data-dir', coordDir], 'coordinator-tasks');
  say(`enrolled ${chosen.map((s) => s.name).join(', ')}; consortium ${consortiumHash.slice(0, 16)}… pinned by every site`);

  // 4. Start the site agents (separate processes) and wait for each to authenticate.
  await Promise.all(chosen.map((site) => start(SITE, ['run', '--config', join(state, 'sites', site.name, 'site.json')], `site-${site.name}`, /connected to/)));
  say('all site agents authenticated');

  // 5. Start the rounds and follow them.
  run(COORDINATOR, ['rounds', 'start', '--task', 'cad-risk', '--rounds', String(rounds), '--data-dir', coordDir], 'coordinator-rounds');
  const api = async (path) => {
    const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return res.json();
  };
  const bar = new cliProgress.SingleBar({ format: ' rounds |{bar}| {value}/{total} | {phase} {answered} | site-mean AUC {auc}', hideCursor: true }, cliProgress.Presets.shades_classic);
  bar.start(rounds, 0, { phase: 'starting', answered: '', auc: '-' });
  let status;
  for (;;) {
    status = await api('/api/status');
    const done = status.run?.status === 'completed' || status.run?.status === 'aborted' || status.run === null;
    const completed = status.lastRound?.round ?? 0;
    const auc = status.lastRound?.evalMetrics?.auc;
    bar.update(completed, { phase: status.phase ?? '', answered: status.cohort?.length ? `${status.answered}/${status.cohort.length}` : '', auc: Number.isFinite(auc) ? auc.toFixed(3) : '-' });
    if (done || completed >= rounds) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  bar.stop();
  const runs = await api('/api/runs');
  const last = runs.runs?.at?.(-1) ?? runs.at?.(-1);
  const detail = await api(`/api/runs/${last.id}`);
  const byRound = new Table({ head: ['round', 'sites trained', 'site-mean AUC', 'site-mean loss'], style: { compact: true } });
  for (const r of detail.rounds) byRound.push([r.round, r.trained.length, fmt(r.evalMetrics.auc), fmt(r.evalMetrics.loss)]);
  console.log(byRound.toString());
  const lastRound = detail.rounds.at(-1);
  const perSite = new Table({ head: ['site', 'validation patients', 'AUC of the final global model'], style: { compact: true } });
  for (const p of lastRound.perSite) perSite.push([p.site, p.numExamples, fmt(p.metrics.auc)]);
  console.log(perSite.toString());
  say(`run ${last.id} ${detail.run?.status ?? last.status}: ${detail.rounds.length} rounds, final site-mean AUC ${fmt(lastRound.evalMetrics.auc)}`);
  const reportPath = join(state, 'report.html');
  run(COORDINATOR, ['report', '--data-dir', coordDir, '--run', String(last.id), '--html', reportPath], 'coordinator-report');
  say(`HTML report with charts: ${reportPath}`);
  say(`coordinator state (SQLite, keys, token): ${coordDir}`);
  say(`site state and keys: ${join(state, 'sites')}; logs: ${logs}`);
  if (values.keep) {
    say(`still serving for the dashboard at ${url}/dashboard/; Ctrl-C stops every process`);
    await new Promise(() => {});
  }
  await stopAll();
}

function fmt(x) {
  return Number.isFinite(x) ? x.toFixed(3) : '—';
}

main().catch(async (error) => {
  if (stopping) return; // Ctrl-C: the SIGINT handler reports and exits
  console.error(`demo: ${error.message}`);
  await stopAll();
  process.exit(1);
});
