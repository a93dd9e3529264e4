/** Shared set-up for the coordinator's tests: data directories, a tiny task, HTTP helpers. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, mlp } from '@cohortfl/ml';
import { buildManifest, defineTask, type BuiltManifest, type TaskDefinition } from '@cohortfl/sdk';
import { startCoordinator, type RunningCoordinator, type StartCoordinatorOptions } from './coordinator.js';
import { dataPaths } from './data-dir.js';
import { initCoordinator } from './init.js';
import { openStore, type Store } from './store/index.js';
import { publishManifest } from './task-file.js';

const made: string[] = [];

export async function makeDataDir(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'cohort-coordinator-'));
  made.push(root);
  const dir = join(root, 'data');
  await initCoordinator(dir);
  return dir;
}

export function removeDataDirs(): void {
  for (const root of made.splice(0)) rmSync(root, { recursive: true, force: true });
}

export function withStore<T>(dataDir: string, work: (store: Store) => T): T {
  const store = openStore(dataPaths(dataDir).db);
  try {
    return work(store);
  } finally {
    store.close();
  }
}

/** A 2-feature logistic-regression task: 3 weights. */
export async function tinyTask(options: { rounds?: number; minSites?: number; name?: string; privacy?: TaskDefinition['privacy'] } = {}): Promise<BuiltManifest> {
  await initBackend(undefined, { quiet: true });
  return buildManifest(
    defineTask({
      name: options.name ?? 'tiny',
      version: '1.0.0',
      model: ({ inputDim }) => mlp({ inputDim, hidden: [] }),
      schema: { label: { name: 'y' }, clinical: [{ name: 'a', type: 'number' }, { name: 'b', type: 'number' }] },
      training: { epochs: 1, batchSize: 8, optimizer: 'sgd', learningRate: 0.1 },
      strategy: { name: 'fedavg' },
      rounds: options.rounds ?? 2,
      minSites: options.minSites ?? 2,
      seed: 11,
      // The fake sites of these tests answer with plaintext updates; secure rounds run in test/.
      secureAggregation: false,
      ...(options.privacy ? { privacy: options.privacy } : {}),
    }),
  );
}

export function publish(dataDir: string, built: BuiltManifest): void {
  withStore(dataDir, (store) => publishManifest(store, built, Date.now()));
}

export function enroll(dataDir: string, name: string, publicKey: string): void {
  withStore(dataDir, (store) => store.addSite({ name, publicKey, at: Date.now() }));
}

export function startTest(dataDir: string, overrides: Omit<StartCoordinatorOptions, 'dataDir'> = {}): Promise<RunningCoordinator> {
  return startCoordinator({ dataDir, port: 0, logLevel: 'silent', env: {}, ...overrides });
}

export function adminToken(dataDir: string): string {
  return readFileSync(dataPaths(dataDir).token, 'utf8').trim();
}

export async function api(
  c: RunningCoordinator,
  path: string,
  options: { method?: string; body?: unknown; token?: string } = {},
): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${c.url}${path}`, {
    method: options.method ?? 'GET',
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  return { status: res.status, json: await res.json() };
}

/** One sample's value from /metrics, or undefined if the series is absent. */
export async function metric(c: RunningCoordinator, name: string, labels = ''): Promise<number | undefined> {
  const text = await (await fetch(`${c.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

export async function waitUntil<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
