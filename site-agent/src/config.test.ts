import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePublicKey, generateIdentity, writeKeyFile } from '@cohortfl/identity';
import { isCohortError } from '@cohortfl/wire';
import { loadSiteConfig, parseSiteConfig } from './config.js';
import { removeTempDirs, tempDir } from './site-fixtures.test-suite.js';

const HASH = 'a'.repeat(64);
const coordinatorKey = encodePublicKey(generateIdentity().publicKey);
let dir: string;

function base(): Record<string, unknown> {
  return {
    site: 'northgate',
    coordinator: { url: 'https://coordinator.example.org:7300', publicKey: coordinatorKey },
    keyFile: 'site.key',
    dataDir: 'data',
    policy: 'policy.json',
    stateDir: 'state',
  };
}

function write(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

/** The CONFIG_INVALID message loading `config` gives (fails the test if it loads). */
function errorOf(config: unknown): string {
  const path = write('site.json', config);
  try {
    loadSiteConfig(path);
  } catch (error) {
    expect(isCohortError(error, 'CONFIG_INVALID')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}

beforeEach(() => {
  dir = tempDir();
  mkdirSync(join(dir, 'data'));
  writeKeyFile(join(dir, 'site.key'), generateIdentity());
  write('policy.json', { acceptTasks: true, approvedTaskHashes: [HASH], minCohortSize: 3 });
});
afterAll(removeTempDirs);

describe('site config', () => {
  it('loads a valid config, resolving paths from its own folder and reading the policy file', () => {
    const config = loadSiteConfig(write('site.json', { ...base(), mapping: { columns: { sex: { from: 'gender', values: { '1': 'M' } } } } }));
    expect(config.keyFile).toBe(join(dir, 'site.key'));
    expect(config.dataDir).toBe(join(dir, 'data'));
    expect(config.stateDir).toBe(join(dir, 'state'));
    expect(config.policy).toEqual({ acceptTasks: true, approvedTaskHashes: [HASH], minCohortSize: 3 });
    expect(config.mapping).toEqual({ columns: { sex: { from: 'gender', values: { '1': 'M' } } } });
    expect(config.metrics).toBeUndefined();
    expect(config.limits.maxMessageBytes).toBe(64 * 1024 * 1024);
  });

  it('fills metrics defaults and accepts an inline policy', () => {
    const config = parseSiteConfig(
      { ...base(), policy: { acceptTasks: false, approvedTaskHashes: [], minCohortSize: 1 }, metrics: {} },
      { baseDir: dir, source: 'inline' },
    );
    expect(config.metrics).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(config.policy.acceptTasks).toBe(false);
  });

  it('refuses a misspelled key, naming the file and the field', () => {
    const { keyFile, ...rest } = base();
    const message = errorOf({ ...rest, keyfile: keyFile });
    expect(message).toContain(join(dir, 'site.json'));
    expect(message).toMatch(/unknown field 'keyfile'/);
    expect(message).toMatch(/keyFile: /);
    expect(errorOf({ ...base(), coordinator: { url: 'http://x', publicKey: coordinatorKey, cert: 'x' } })).toMatch(/coordinator: unknown field 'cert'/);
  });

  it('refuses a missing or world-readable key file and says how to make one', () => {
    expect(errorOf({ ...base(), keyFile: 'missing.key' })).toMatch(/keyFile: cannot open key file .*missing\.key.*cohort-site keygen/);
    chmodSync(join(dir, 'site.key'), 0o644);
    expect(errorOf(base())).toMatch(/keyFile: key file .* has mode 0644.*chmod 600/);
  });

  it('refuses a coordinator public key that is not an Ed25519 key, and a non-http URL', () => {
    expect(errorOf({ ...base(), coordinator: { url: 'http://127.0.0.1:7300', publicKey: 'ed25519:short' } })).toMatch(/coordinator\.publicKey: must be an Ed25519 public key/);
    expect(errorOf({ ...base(), coordinator: { url: 'ftp://host', publicKey: coordinatorKey } })).toMatch(/coordinator\.url: must be an http/);
  });

  it('reads the evaluation rules of the policy and refuses noise without a budget to charge', () => {
    write('policy.json', { acceptTasks: true, approvedTaskHashes: [HASH], minCohortSize: 3, minCellSize: 5, evaluationNoise: { sigma: 2 }, privacy: { epsilonMax: 4, delta: 1e-6 } });
    const config = loadSiteConfig(write('site.json', base()));
    expect(config.policy).toEqual({ acceptTasks: true, approvedTaskHashes: [HASH], minCohortSize: 3, minCellSize: 5, evaluationNoise: { sigma: 2 } });
    write('policy.json', { acceptTasks: true, approvedTaskHashes: [HASH], minCohortSize: 3, evaluationNoise: { sigma: 2 } });
    expect(errorOf(base())).toMatch(/policy\.json: evaluationNoise: evaluationNoise needs a privacy budget/);
    write('policy.json', { acceptTasks: true, approvedTaskHashes: [HASH], minCohortSize: 3, minCellSize: 0 });
    expect(errorOf(base())).toMatch(/policy\.json: minCellSize: must be ≥ 1/);
    write('policy.json', { acceptTasks: true, approvedTaskHashes: [HASH], minCohortSize: 3, evaluationNoise: { sigma: 0.2 }, privacy: { epsilonMax: 4, delta: 1e-6 } });
    expect(errorOf(base())).toMatch(/policy\.json: evaluationNoise\.sigma: must be ≥ 1 count/);
  });

  it('names the policy file and field for policy errors', () => {
    const policyPath = write('policy.json', { acceptTasks: true, approvedTaskHashes: ['not-a-hash'], minCohortSize: 0 });
    const message = errorOf(base());
    expect(message).toContain(`${policyPath}: approvedTaskHashes.0: must be a task hash`);
    expect(message).toContain(`${policyPath}: minCohortSize:`);
    write('policy.json', { acceptTasks: true, approvedTaskHashes: [] });
    expect(errorOf(base())).toMatch(/policy\.json: minCohortSize: /);
    expect(errorOf({ ...base(), policy: 'nope.json' })).toMatch(/cannot read policy file .*nope\.json: ENOENT/);
    write('policy.json', '{ not json');
    expect(errorOf(base())).toMatch(/policy file .*policy\.json is not valid JSON/);
    expect(errorOf({ ...base(), policy: { acceptTasks: true, approvedTaskHashes: [], minCohortSize: 2, allowAll: true } })).toMatch(/site\.json: policy: unknown field 'allowAll'/);
  });

  it('reads the policy\'s privacy budget (noise floor 0 by default) apart from the policy, and refuses bad budgets by field', () => {
    write('policy.json', { acceptTasks: true, approvedTaskHashes: [HASH], minCohortSize: 2, privacy: { epsilonMax: 4, delta: 1e-6 } });
    const config = loadSiteConfig(write('site.json', base()));
    expect(config.privacy).toEqual({ epsilonMax: 4, delta: 1e-6, noiseFloor: 0 });
    expect(config.policy).toEqual({ acceptTasks: true, approvedTaskHashes: [HASH], minCohortSize: 2 });
    expect(loadSiteConfig(write('site.json', { ...base(), policy: { acceptTasks: true, approvedTaskHashes: [], minCohortSize: 1 } })).privacy).toBeUndefined();
    const policy = (privacy: unknown) => ({ ...base(), policy: { acceptTasks: true, approvedTaskHashes: [], minCohortSize: 1, privacy } });
    expect(errorOf(policy({ epsilonMax: 0, delta: 1e-6 }))).toMatch(/policy\.privacy\.epsilonMax: must be > 0/);
    expect(errorOf(policy({ epsilonMax: 1, delta: 1 }))).toMatch(/policy\.privacy\.delta: must be < 1/);
    expect(errorOf(policy({ epsilonMax: 1, delta: 0 }))).toMatch(/policy\.privacy\.delta: must be > 0/);
    expect(errorOf(policy({ epsilonMax: 1, delta: 1e-6, noiseFloor: -1 }))).toMatch(/policy\.privacy\.noiseFloor: must be ≥ 0/);
    expect(errorOf(policy({ epsilonMax: 1, delta: 1e-6, epsilon: 2 }))).toMatch(/policy\.privacy: unknown field 'epsilon'/);
    write('policy.json', { acceptTasks: true, approvedTaskHashes: [], minCohortSize: 1, privacy: { delta: 1e-6 } });
    expect(errorOf(base())).toMatch(/policy\.json: privacy\.epsilonMax: /);
  });

  it('refuses a missing data folder, a bad site name, a missing CA file and an out-of-range metrics port', () => {
    expect(errorOf({ ...base(), dataDir: 'nowhere' })).toMatch(/dataDir: folder .*nowhere does not exist/);
    expect(errorOf({ ...base(), site: 'North Gate' })).toMatch(/site: must be 1-64 characters/);
    expect(errorOf({ ...base(), coordinator: { url: 'https://c:1', publicKey: coordinatorKey, ca: 'ca.pem' } })).toMatch(/coordinator\.ca: cannot read .*ca\.pem/);
    expect(errorOf({ ...base(), metrics: { port: 70000 } })).toMatch(/metrics\.port: /);
  });

  it('refuses a config file that is not JSON or does not exist', () => {
    expect(errorOf('{"site": ')).toMatch(/config file .*site\.json is not valid JSON/);
    expect(() => loadSiteConfig(join(dir, 'absent.json'))).toThrow(/cannot read config file .*absent\.json: ENOENT/);
  });
});
