/**
 * A small real consortium for multi-process tests: generated hospital data, a
 * coordinator data directory, site keys, policies and configs, and helpers that
 * start the real CLIs (`cohort-coordinator serve`, `cohort-site run`) as child
 * processes on loopback with port 0.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildManifest, defineTask, initBackend, mlp, type Task } from '@cohortfl/sdk';
import { encodePublicKey, readKeyFile } from '@cohortfl/identity';
import { generateConsortium } from '../../examples/cad-risk/src/generate.js';
import { cadSchema } from '../../examples/cad-risk/src/task.js';
import { snpPanel } from '../../examples/cad-risk/src/consortium.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const COORDINATOR_CLI = join(ROOT, 'coordinator', 'dist', 'cli.js');
export const SITE_CLI = join(ROOT, 'site-agent', 'dist', 'cli.js');

const SMALL_SITES = [
  { name: 'alpha', code: 'ALP', n: 240, ancestry: { EUR: 0.7, AFR: 0.3 }, prevalence: 0.25, ageMean: 60, maleFraction: 0.5, smokingRate: 0.2 },
  { name: 'beta', code: 'BET', n: 200, ancestry: { EAS: 0.6, SAS: 0.4 }, prevalence: 0.2, ageMean: 55, maleFraction: 0.5, smokingRate: 0.2 },
  { name: 'gamma', code: 'GAM', n: 180, ancestry: { AMR: 0.5, EUR: 0.5 }, prevalence: 0.3, ageMean: 58, maleFraction: 0.5, smokingRate: 0.2, layout: 'local' as const },
];

export interface Fixture {
  dir: string;
  coordDir: string;
  task: Task;
  manifestPath: string;
  taskHash: string;
  sites: { name: string; dataDir: string; mappingPath?: string; configPath: string; keyPath: string }[];
  logs: string;
  /** The consortium membership file every site's policy pins. */
  consortiumPath: string;
}

/** Run a CLI to completion and return stdout; throws with stderr on failure. */
export function cli(script: string, args: string[]): string {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', env: { ...process.env, COHORTFL_QUIET: '1' } });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

export async function createFixture(options: { secure?: boolean; secureThreshold?: number | undefined; colluders?: number; policy?: Record<string, unknown>; extraMembers?: { name: string; publicKey: string }[]; rounds?: number; timeouts?: { train: number; evaluate: number }; retryDelayMs?: number; extraConfig?: Record<string, unknown> } = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'cohortfl-it-'));
  const data = join(dir, 'data');
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const generated = await generateConsortium({ outDir: data, seed: 5, variants: 40, causalVariants: 10, sites: SMALL_SITES });
  await initBackend(undefined, { quiet: true });
  const task = defineTask({
    name: 'cad-mini',
    version: '1.0.0',
    model: ({ inputDim }) => mlp({ inputDim, hidden: [] }),
    schema: cadSchema(snpPanel(generated.truthPath)),
    training: { epochs: 2, batchSize: 32, optimizer: 'adam', learningRate: 0.03 },
    strategy: { name: 'fedavg' },
    rounds: options.rounds ?? 3,
    minSites: 2,
    seed: 1,
    secureAggregation: options.secure === false ? false : {
      stepTimeout: 20,
      ...(options.secureThreshold === undefined ? {} : { threshold: options.secureThreshold }),
      ...(options.colluders === undefined ? {} : { colluders: options.colluders }),
    },
  });
  const built = buildManifest(task);
  const manifestPath = join(dir, 'task.manifest.json');
  writeFileSync(manifestPath, built.json);

  const coordDir = join(dir, 'coordinator');
  cli(COORDINATOR_CLI, ['init', '--data-dir', coordDir]);
  const configPath = join(coordDir, 'config.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(configPath, JSON.stringify({
    ...config,
    timeouts: options.timeouts ?? { train: 20, evaluate: 20 },
    retryDelayMs: options.retryDelayMs ?? 500,
    ...options.extraConfig,
  }, null, 2));
  const coordinatorKey = encodePublicKey(readKeyFile(join(coordDir, 'coordinator.key')).publicKey);

  const sites = generated.sites.map((s) => {
    const siteDir = join(dir, 'sites', s.name);
    mkdirSync(siteDir, { recursive: true });
    const keyPath = join(siteDir, 'site.key');
    const out = cli(SITE_CLI, ['keygen', '--out', keyPath]);
    const publicKey = /ed25519:[A-Za-z0-9_-]{43}/.exec(out)?.[0];
    if (!publicKey) throw new Error(`keygen printed no key: ${out}`);
    cli(COORDINATOR_CLI, ['sites', 'add', s.name, '--public-key', publicKey, '--data-dir', coordDir]);
    const configFile = join(siteDir, 'site.json');
    writeFileSync(configFile, JSON.stringify({
      site: s.name,
      coordinator: { url: 'http://127.0.0.1:1', publicKey: coordinatorKey },
      keyFile: 'site.key',
      dataDir: s.dir,
      ...(s.mappingPath ? { mapping: s.mappingPath } : {}),
      policy: 'policy.json',
      stateDir: 'state',
      metrics: { host: '127.0.0.1', port: 0 },
    }, null, 2));
    return { name: s.name, dataDir: s.dir, ...(s.mappingPath ? { mappingPath: s.mappingPath } : {}), configPath: configFile, keyPath };
  });
  // In-test sites (scripted or rogue) are consortium members too when a test says so.
  for (const m of options.extraMembers ?? []) cli(COORDINATOR_CLI, ['sites', 'add', m.name, '--public-key', m.publicKey, '--data-dir', coordDir]);
  // Every hospital pins the consortium the operator hands out, by the hash it checked.
  const consortiumPath = join(dir, 'consortium.json');
  const consortiumHash = /sha256 ([0-9a-f]{64})/.exec(cli(COORDINATOR_CLI, ['sites', 'consortium', '--out', consortiumPath, '--data-dir', coordDir]))?.[1];
  if (!consortiumHash) throw new Error('sites consortium printed no hash');
  // Validation splits of 28 to 53 records, some with fewer than 5 positives: below any small-cell
  // rule in use, so these fixture hospitals set it to 1 (every site answers every evaluation).
  for (const s of sites) {
    const policy = { acceptTasks: true, approvedTaskHashes: [built.hash], minCohortSize: 2, minCellSize: 1, consortium: { file: consortiumPath, sha256: consortiumHash }, ...options.policy };
    writeFileSync(join(dirname(s.configPath), 'policy.json'), JSON.stringify(policy));
  }
  cli(COORDINATOR_CLI, ['tasks', 'publish', manifestPath, '--data-dir', coordDir]);
  return { dir, coordDir, task, manifestPath, taskHash: built.hash, sites, logs, consortiumPath };
}

/** Point every site config at the coordinator's URL. */
export function pointSitesAt(fixture: Fixture, url: string): void {
  for (const s of fixture.sites) {
    const c = JSON.parse(readFileSync(s.configPath, 'utf8')) as { coordinator: { url: string } };
    c.coordinator.url = url;
    writeFileSync(s.configPath, JSON.stringify(c, null, 2));
  }
}

export interface Running {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

/** Start a long-running CLI; stdout lines are collected, stderr goes to a log file. */
export function startProcess(script: string, args: string[], logFile: string): Running {
  const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, COHORTFL_QUIET: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stderr!.pipe(log);
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    log.write(chunk);
    buffer += chunk.toString('utf8');
    let i: number;
    while ((i = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      lines.push(line);
      for (const w of [...waiters]) {
        const m = line.match(w.pattern);
        if (m) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      for (const line of lines) {
        const m = line.match(pattern);
        if (m) return Promise.resolve(m);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms (see ${logFile})`)), timeoutMs);
        waiters.push({ pattern, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      });
    },
  };
}

export async function startCoordinator(fixture: Fixture, port = 0): Promise<{ proc: Running; url: string }> {
  const proc = startProcess(COORDINATOR_CLI, ['serve', '--data-dir', fixture.coordDir, '--host', '127.0.0.1', '--port', String(port)], join(fixture.logs, 'coordinator.log'));
  const m = await proc.waitFor(/listening on (\S+)/);
  return { proc, url: m[1]! };
}

/**
 * The coordinator over TLS with a self-signed certificate made for 127.0.0.1 (openssl);
 * `cert` is also the CA a site pins, `key` the certificate's private key.
 */
export async function startTlsCoordinator(fixture: Fixture): Promise<{ proc: Running; url: string; cert: string; key: string }> {
  const cert = join(fixture.dir, 'cert.pem');
  const key = join(fixture.dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const proc = startProcess(COORDINATOR_CLI, ['serve', '--data-dir', fixture.coordDir, '--host', '127.0.0.1', '--port', '0', '--tls-cert', cert, '--tls-key', key], join(fixture.logs, 'coordinator.log'));
  const url = (await proc.waitFor(/listening on (\S+)/))[1]!;
  return { proc, url, cert, key };
}

export async function startSite(fixture: Fixture, name: string): Promise<Running> {
  const site = fixture.sites.find((s) => s.name === name)!;
  const proc = startProcess(SITE_CLI, ['run', '--config', site.configPath], join(fixture.logs, `site-${name}.log`));
  await proc.waitFor(/connected to/);
  return proc;
}

export function adminToken(fixture: Fixture): string {
  return readFileSync(join(fixture.coordDir, 'admin-token'), 'utf8').trim();
}

export async function api<T = any>(url: string, token: string, path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
  const body = await res.json();
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body as T;
}

export async function waitUntil<T>(probe: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Parse Prometheus text into metric-with-labels → value. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}
