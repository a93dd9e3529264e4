/** Test support (excluded from the build): a tiny hospital, a tiny task, a site folder with key, policy and config. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePublicKey, generateIdentity, writeKeyFile, type Identity } from '@cohortfl/identity';
import { createRandom } from '@cohortfl/protocol';
import { buildManifest, defineTask, initBackend, mlp, type Task } from '@cohortfl/sdk';

const dirs: string[] = [];

export function tempDir(prefix = 'cohortfl-site-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A learnable toy hospital: n patients, age and sex, two variants; consent for all but every 10th. */
export function writeHospital(dir: string, n: number, seed: number): void {
  mkdirSync(dir, { recursive: true });
  const rnd = createRandom(seed);
  const rows = ['sample_id,age,sex,consent,y'];
  const ids: string[] = [];
  const rs2: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `p${seed}-${i}`;
    const age = 25 + Math.floor(rnd() * 55);
    const dosage = (rnd() < 0.4 ? 1 : 0) + (rnd() < 0.4 ? 1 : 0);
    const y = rnd() < 1 / (1 + Math.exp(-((age - 50) / 8 + dosage - 1))) ? 1 : 0;
    rows.push(`${id},${age},${rnd() < 0.5 ? 'M' : 'F'},${i % 10 === 9 ? 0 : 1},${y}`);
    ids.push(id);
    rs2.push(['0/0', '0/1', '1/1'][dosage]!);
  }
  writeFileSync(join(dir, 'clinical.csv'), `${rows.join('\n')}\n`);
  writeFileSync(
    join(dir, 'genotypes.vcf'),
    [
      '##fileformat=VCFv4.2',
      '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
      ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', 'FORMAT', ...ids].join('\t'),
      ['1', '100', 'rs1', 'A', 'G', '.', 'PASS', '.', 'GT', ...ids.map((_, i) => (i % 3 === 0 ? '0/1' : '0/0'))].join('\t'),
      ['1', '200', 'rs2', 'C', 'T', '.', 'PASS', '.', 'GT', ...rs2].join('\t'),
      '',
    ].join('\n'),
  );
}

/** A tiny logistic-regression task on the toy hospital's columns; `version` changes its hash. */
export async function tinyTask(version = '1'): Promise<{ task: Task; hash: string; json: string }> {
  await initBackend(undefined, { quiet: true });
  const task = defineTask({
    name: 'tiny',
    version,
    model: ({ inputDim }) => mlp({ inputDim, hidden: [] }),
    schema: {
      label: { name: 'y' },
      clinical: [{ name: 'age', type: 'number', range: [18, 90] }, { name: 'sex', type: 'category', values: ['M', 'F'] }],
      genomic: { variants: ['rs1', 'rs2'] },
      subgroups: ['sex'],
      consent: 'consent',
    },
    training: { epochs: 1, batchSize: 16, optimizer: 'adam', learningRate: 0.05 },
    strategy: { name: 'fedavg' },
    rounds: 3,
    minSites: 1,
    seed: 4,
    // These tests drive the plaintext round by hand; secure rounds are tested in protocol and test/.
    secureAggregation: false,
  });
  const built = buildManifest(task);
  return { task, hash: built.hash, json: built.json };
}

export interface SiteFolder {
  dir: string;
  configPath: string;
  identity: Identity;
  publicKey: string;
}

export interface SiteFolderOptions {
  site: string;
  coordinatorUrl: string;
  coordinatorKey: string;
  approved: string[];
  minCohortSize?: number;
  metrics?: boolean;
  rows?: number;
  /** The policy's privacy budget. */
  privacy?: { epsilonMax: number; delta: number; noiseFloor?: number };
  /**
   * The policy's small-cell rule. Default 1: the fixture hospital has 60 records, so its
   * validation split (about 12) is below the protocol's default of 10 per label.
   */
  minCellSize?: number;
}

/** A site folder as hospital IT would lay it out: site.key, policy.json, data/, site.json with relative paths. */
export function siteFolder(options: SiteFolderOptions): SiteFolder {
  const dir = tempDir();
  writeHospital(join(dir, 'data'), options.rows ?? 60, 7);
  const identity = generateIdentity();
  writeKeyFile(join(dir, 'site.key'), identity);
  writeFileSync(
    join(dir, 'policy.json'),
    JSON.stringify({
      acceptTasks: true,
      approvedTaskHashes: options.approved,
      minCohortSize: options.minCohortSize ?? 2,
      minCellSize: options.minCellSize ?? 1,
      ...(options.privacy ? { privacy: options.privacy } : {}),
    }),
  );
  const configPath = join(dir, 'site.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      site: options.site,
      coordinator: { url: options.coordinatorUrl, publicKey: options.coordinatorKey },
      keyFile: 'site.key',
      dataDir: 'data',
      policy: 'policy.json',
      stateDir: 'state',
      ...(options.metrics === false ? {} : { metrics: { host: '127.0.0.1', port: 0 } }),
    }),
  );
  return { dir, configPath, identity, publicKey: encodePublicKey(identity.publicKey) };
}
