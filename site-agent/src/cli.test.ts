// The commands as the CLI runs them (in-process through runCli): keygen and check.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePublicKey, fingerprint, generateIdentity, readKeyFile } from '@cohortfl/identity';
import { runCli } from './cli-app.js';
import { loadLedger, saveLedger } from './privacy-ledger.js';
import { removeTempDirs, siteFolder, tempDir, tinyTask, type SiteFolder } from './site-fixtures.test-suite.js';

async function cli(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

let tiny: Awaited<ReturnType<typeof tinyTask>>;
let other: Awaited<ReturnType<typeof tinyTask>>;
let folder: SiteFolder;
let manifestPath: string;

beforeAll(async () => {
  [tiny, other] = await Promise.all([tinyTask('1'), tinyTask('2')]);
  folder = siteFolder({ site: 'northgate', coordinatorUrl: 'http://127.0.0.1:7300', coordinatorKey: encodePublicKey(generateIdentity().publicKey), approved: [other.hash] });
  manifestPath = join(folder.dir, 'task.manifest.json');
  writeFileSync(manifestPath, tiny.json);
});
afterAll(removeTempDirs);

describe('cohort-site keygen', () => {
  it('writes a 0600 key file and prints its public key and fingerprint', async () => {
    const path = join(tempDir(), 'keys', 'site.key');
    const r = await cli(['keygen', '--out', path]);
    expect(r.code).toBe(0);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const identity = readKeyFile(path);
    const printed = r.out.join('\n');
    expect(printed).toContain(`public key: ${encodePublicKey(identity.publicKey)}`);
    expect(printed).toContain(`fingerprint: ${fingerprint(identity.publicKey)}`);
  });

  it('never overwrites an existing key (CONFIG_INVALID, exit 2) and requires --out', async () => {
    const path = join(tempDir(), 'site.key');
    expect((await cli(['keygen', '--out', path])).code).toBe(0);
    const again = await cli(['keygen', '--out', path]);
    expect(again.code).toBe(2);
    expect(again.err.join('\n')).toMatch(/already exists; refusing to overwrite/);
    const missing = await cli(['keygen']);
    expect(missing.code).toBe(2);
    expect(missing.err.join('\n')).toMatch(/Missing required argument: out/);
  });
});

describe('cohort-site check', () => {
  it('passes on a valid site, summarizes the data and reports a non-approved task hash', async () => {
    const r = await cli(['check', '--config', folder.configPath, '--task', manifestPath]);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const text = r.out.join('\n');
    expect(text).toMatch(/clinical\.csv: 60 rows read, 6 without consent/);
    expect(text).toContain(`task ${tiny.hash} is NOT approved`);
    expect(text).toContain(`key ${folder.publicKey}`);
    expect(text).toContain('privacy budget: none set in the policy');
    // The fixture's policy sets minCellSize 1 (its data is tiny) and no evaluation noise.
    expect(text).toContain('minimum cell size 1: subgroup × label cells below it are suppressed in evaluations');
    expect(text).toContain('evaluation noise: none');
    expect(text).toMatch(/models evaluated so far: 0 /);
  });

  it('shows the default cell size and the evaluation noise with what each evaluation is charged as', async () => {
    const site = siteFolder({ site: 'westfield', coordinatorUrl: 'http://127.0.0.1:7300', coordinatorKey: encodePublicKey(generateIdentity().publicKey), approved: [tiny.hash], privacy: { epsilonMax: 3, delta: 1e-6 } });
    const policyPath = join(site.dir, 'policy.json');
    const { minCellSize: _dropped, ...policy } = JSON.parse(readFileSync(policyPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(policyPath, JSON.stringify({ ...policy, evaluationNoise: { sigma: 4 } }));
    const r = await cli(['check', '--config', site.configPath, '--task', manifestPath]);
    expect(r.code).toBe(0);
    const text = r.out.join('\n');
    expect(text).toContain('minimum cell size 10 (the default 10; small-cell rules in common use take 5 to 11)');
    expect(text).toMatch(/evaluation noise: discrete Gaussian σ = 4 counts on every released count, charged as noise multiplier 2\.828 per evaluation \(1 subgroup column\)/);
  });

  it('prints the privacy budget and the ε the site\'s ledger has spent, and warns when the task applies no DP', async () => {
    const site = siteFolder({ site: 'eastfield', coordinatorUrl: 'http://127.0.0.1:7300', coordinatorKey: encodePublicKey(generateIdentity().publicKey), approved: [tiny.hash], privacy: { epsilonMax: 3, delta: 1e-6 } });
    const fresh = await cli(['check', '--config', site.configPath, '--task', manifestPath]);
    expect(fresh.code).toBe(0);
    expect(fresh.out).toContain('privacy budget: ε ≤ 3 at δ = 0.000001, noise floor 0');
    expect(fresh.out.join('\n')).toMatch(/privacy spent so far: ε = 0\.0000 over 0 rounds \(no ledger yet/);
    expect(fresh.out.join('\n')).toMatch(/applies NO differential privacy.*POLICY_REFUSED/);
    const ledger = loadLedger(join(site.dir, 'state'), { epsilonMax: 3, delta: 1e-6, noiseFloor: 0 });
    ledger.commit({ kind: 'gaussian', noiseMultiplier: 3, samplingRate: 1, steps: 1 });
    saveLedger(join(site.dir, 'state'), ledger);
    const r = await cli(['check', '--config', site.configPath, '--task', manifestPath, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out.join('\n'));
    expect(report.privacy).toEqual({ epsilonMax: 3, delta: 1e-6, noiseFloor: 0, epsilonSpent: ledger.epsilonSpent(), rounds: 1 });
    expect(report.lines.join('\n')).toContain(`privacy spent so far: ε = ${ledger.epsilonSpent().toFixed(4)} over 1 round (ledger `);
  });

  it('reports JSON, approved once the policy lists the hash (built manifest object accepted too)', async () => {
    writeFileSync(join(folder.dir, 'policy.json'), JSON.stringify({ acceptTasks: true, approvedTaskHashes: [tiny.hash], minCohortSize: 2 }));
    const builtPath = join(folder.dir, 'built.json');
    writeFileSync(builtPath, JSON.stringify({ json: tiny.json, hash: tiny.hash }));
    const r = await cli(['check', '--config', folder.configPath, '--task', builtPath, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out.join('\n'));
    expect(report).toMatchObject({ site: 'northgate', taskHash: tiny.hash, approved: true, featureCount: 5 });
    expect(report.train + report.validation).toBe(54);
  });

  it('fails with DATA_INVALID (exit 3) naming the file, line and column of bad data', async () => {
    const bad = siteFolder({ site: 'badsite', coordinatorUrl: 'http://127.0.0.1:7300', coordinatorKey: encodePublicKey(generateIdentity().publicKey), approved: [] });
    writeFileSync(join(bad.dir, 'data', 'clinical.csv'), 'sample_id,age,sex,consent,y\np7-0,unknown,M,1,0\n');
    const r = await cli(['check', '--config', bad.configPath, '--task', manifestPath]);
    expect(r.code).toBe(3);
    expect(r.err.join('\n')).toMatch(/clinical\.csv.*line 2.*age/);
  });

  it('fails with TASK_INVALID (exit 4) for a manifest that does not match its hash, CONFIG_INVALID (2) for a bad config', async () => {
    const forged = join(folder.dir, 'forged.json');
    writeFileSync(forged, JSON.stringify({ json: tiny.json, hash: other.hash }));
    const r = await cli(['check', '--config', folder.configPath, '--task', forged]);
    expect(r.code).toBe(4);
    expect(r.err.join('\n')).toMatch(/forged\.json: the manifest hashes to/);
    const notJson = join(folder.dir, 'broken.json');
    writeFileSync(notJson, 'nope');
    expect((await cli(['check', '--config', folder.configPath, '--task', notJson])).code).toBe(4);
    expect((await cli(['check', '--config', join(folder.dir, 'absent.json'), '--task', manifestPath])).code).toBe(2);
    expect((await cli(['check', '--config', folder.configPath])).code).toBe(2);
    expect((await cli(['frobnicate'])).code).toBe(2);
  });
});
