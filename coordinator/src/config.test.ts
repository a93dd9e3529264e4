import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { DEFAULTS, layerFromEnv, mergeConfig, parseLayer } from './config.js';
import { loadConfig } from './load-config.js';

const root = mkdtempSync(join(tmpdir(), 'cohort-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function dirWith(config: unknown): string {
  const dir = mkdtempSync(join(root, 'd-'));
  writeFileSync(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return dir;
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(isCohortError(error, 'CONFIG_INVALID')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('config precedence', () => {
  it('uses the defaults when nothing is set (no config file)', () => {
    const config = loadConfig({ dataDir: join(root, 'nothing-here'), env: {} });
    expect(config).toEqual({ ...DEFAULTS, limits: { ...DEFAULTS.limits }, refusals: { ...DEFAULTS.refusals }, tls: null, timeouts: {} });
  });

  it('flags > env > config file > defaults, field by field', () => {
    const dataDir = dirWith({ host: '0.0.0.0', port: 7001, retryDelayMs: 10, timeouts: { train: 30, evaluate: 20 }, limits: { chunkBytes: 1024 } });
    const env = { COHORT_PORT: '7002', COHORT_TRAIN_TIMEOUT: '2.5', COHORT_LOG_LEVEL: 'warn', COHORT_UNRELATED: 'x' };
    const config = loadConfig({ dataDir, env, overrides: { port: 7003 } });
    expect(config.port).toBe(7003); // flag beats env and file
    expect(config.timeouts).toEqual({ train: 2.5, evaluate: 20 }); // env beats file per field
    expect(config.logLevel).toBe('warn'); // env beats default
    expect(config.host).toBe('0.0.0.0'); // file beats default
    expect(config.retryDelayMs).toBe(10);
    expect(config.limits).toEqual({ ...DEFAULTS.limits, chunkBytes: 1024 });
  });

  it('resolves TLS paths in the config file against its directory, and needs cert and key together', () => {
    const dataDir = dirWith({ tls: { cert: 'tls/cert.pem', key: '/abs/key.pem' } });
    expect(loadConfig({ dataDir, env: {} }).tls).toEqual({ cert: join(dataDir, 'tls/cert.pem'), key: '/abs/key.pem' });
    expect(refusal(() => loadConfig({ dataDir: dirWith({ tls: { cert: 'c.pem' } }), env: {} }))).toMatch(/both a certificate and a key/);
    expect(loadConfig({ dataDir: dirWith({ tls: { cert: 'c.pem' } }), env: { COHORT_TLS_KEY: '/k.pem' } }).tls?.key).toBe('/k.pem');
  });
});

describe('strict validation', () => {
  it('refuses an unknown key in the config file, naming the file and the key', () => {
    const dataDir = dirWith({ port: 7000, prot: 1 });
    expect(refusal(() => loadConfig({ dataDir, env: {} }))).toMatch(/config file .*config\.json.*prot/);
  });

  it('refuses a mistyped or out-of-range value and malformed JSON', () => {
    expect(refusal(() => loadConfig({ dataDir: dirWith({ port: '7000' }), env: {} }))).toMatch(/port/);
    expect(refusal(() => loadConfig({ dataDir: dirWith({ port: 70000 }), env: {} }))).toMatch(/port/);
    expect(refusal(() => loadConfig({ dataDir: dirWith({ limits: { chunkBytes: -1 } }), env: {} }))).toMatch(/chunkBytes/);
    expect(refusal(() => loadConfig({ dataDir: dirWith('{ port: 1 '), env: {} }))).toMatch(/not valid JSON/);
  });

  it('refuses a bad environment variable, naming it', () => {
    expect(refusal(() => layerFromEnv({ COHORT_PORT: '80x' }))).toMatch(/COHORT_PORT/);
    expect(refusal(() => layerFromEnv({ COHORT_LOG_LEVEL: 'loud' }))).toMatch(/env: logLevel/);
    expect(refusal(() => layerFromEnv({ COHORT_TRAIN_TIMEOUT: '-1' }))).toMatch(/COHORT_TRAIN_TIMEOUT/);
  });

  it('refuses unknown or bad flags', () => {
    expect(refusal(() => parseLayer({ hots: 'x' }, 'flags'))).toMatch(/flags/);
    expect(refusal(() => loadConfig({ dataDir: root, env: {}, overrides: { port: Number.NaN } }))).toMatch(/flags: port/);
  });

  it('refuses chunks that would not fit a frame, and a missing explicit config file', () => {
    expect(refusal(() => mergeConfig({ limits: { maxMessageBytes: 10_000, chunkBytes: 8_000 } }))).toMatch(/chunkBytes/);
    expect(mergeConfig({ limits: { maxMessageBytes: 10_000, chunkBytes: 5_000 } }).limits.chunkBytes).toBe(5_000);
    expect(refusal(() => loadConfig({ dataDir: root, configFile: join(root, 'missing.json'), env: {} }))).toMatch(/does not exist/);
  });
});
