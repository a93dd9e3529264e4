#!/usr/bin/env node
// Benchmark of @cohortfl/data's loader on a synthetic site: a clinical.csv of
// N patients and a genotypes.vcf.gz of M variants × N samples (default
// 10,000 × 5,000 = 50M genotypes). Generation is seeded; the load runs in a
// child process so its peak RSS is not inflated by the generator.
//
//   node packages/data/scripts/bench-load.mjs [--patients 10000] [--variants 5000] [--seed 1] [--json] [--keep]
//
// Needs the built package: pnpm --filter @cohortfl/data build
import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createGzip, constants } from 'node:zlib';

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const variantId = (j) => `rs${100000 + j}`;
const sampleId = (i) => `S${String(i).padStart(6, '0')}`;

function schemaFor(variants) {
  return {
    label: { name: 'cad' },
    clinical: [
      { name: 'age', type: 'number', range: [18, 100] },
      { name: 'sex', type: 'category', values: ['M', 'F'] },
      { name: 'ldl', type: 'number', range: [0, 10], missing: { strategy: 'impute', value: 3 } },
      { name: 'smoker', type: 'boolean' },
    ],
    genomic: { variants: Array.from({ length: variants }, (_, j) => variantId(j)), missingCall: { strategy: 'impute', value: 0 } },
    subgroups: ['sex'],
    consent: 'consent',
  };
}

async function writeClinical(path, patients, rand) {
  const lines = ['sample_id,age,sex,ldl,smoker,consent,cad'];
  for (let i = 0; i < patients; i++) {
    const ldl = rand() < 0.02 ? 'NA' : (1 + rand() * 6).toFixed(2);
    const consent = rand() < 0.03 ? 'no' : 'yes';
    lines.push(`${sampleId(i)},${(30 + rand() * 60).toFixed(1)},${rand() < 0.5 ? 'M' : 'F'},${ldl},${rand() < 0.2 ? 1 : 0},${consent},${rand() < 0.3 ? 1 : 0}`);
  }
  await writeFile(path, `${lines.join('\n')}\n`);
}

/** Writes the VCF line by line into a gzip stream, one Buffer per record: fast and O(one line) memory. */
async function writeVcf(path, patients, variants, rand) {
  const gzip = createGzip({ level: constants.Z_BEST_SPEED });
  const out = gzip.pipe(createWriteStream(path));
  const write = async (chunk) => {
    if (!gzip.write(chunk)) await once(gzip, 'drain');
  };
  const samples = Array.from({ length: patients }, (_, i) => sampleId(i));
  await write(
    '##fileformat=VCFv4.2\n##contig=<ID=1,length=249250621>\n##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n' +
      `#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t${samples.join('\t')}\n`,
  );
  const calls = [Buffer.from('0/0'), Buffer.from('0/1'), Buffer.from('1/1'), Buffer.from('./.')];
  for (let j = 0; j < variants; j++) {
    const p = 0.05 + rand() * 0.45;
    const prefix = Buffer.from(`1\t${10000 + j * 100}\t${variantId(j)}\tA\tG\t50\tPASS\t.\tGT`);
    const line = Buffer.allocUnsafe(prefix.length + patients * 4 + 1);
    prefix.copy(line, 0);
    let at = prefix.length;
    for (let i = 0; i < patients; i++) {
      const u = rand();
      const g = u < 0.001 ? 3 : u < p * p ? 2 : u < 2 * p - p * p ? 1 : 0;
      line[at] = 9; // tab
      calls[g].copy(line, at + 1);
      at += 4;
    }
    line[at] = 10; // newline
    await write(line);
  }
  gzip.end();
  await once(out, 'finish');
}

async function loadOnly(dir, variants) {
  const { loadSiteData } = await import(new URL('../dist/index.js', import.meta.url).href);
  const start = performance.now();
  const ds = await loadSiteData(dir, schemaFor(variants), { seed: 1 });
  const seconds = (performance.now() - start) / 1000;
  const mem = process.memoryUsage();
  const result = {
    seconds: Number(seconds.toFixed(2)),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    heapUsedMB: Math.round(mem.heapUsed / 2 ** 20),
    arrayBuffersMB: Math.round(mem.arrayBuffers / 2 ** 20),
    used: ds.summary.used,
    train: ds.train.n,
    validation: ds.validation.n,
    featureCount: ds.featureCount,
    unconsented: ds.summary.unconsented,
    imputed: ds.summary.imputed,
  };
  process.stdout.write(JSON.stringify(result));
}

async function main() {
  const patients = Number(option('patients', 10000));
  const variants = Number(option('variants', 5000));
  const seed = Number(option('seed', 1));
  if (args[0] === '--load-only') return loadOnly(args[1], variants);
  const dir = await mkdtemp(join(tmpdir(), 'cohortfl-bench-load-'));
  try {
    const rand = mulberry32(seed);
    const genStart = performance.now();
    await writeClinical(join(dir, 'clinical.csv'), patients, rand);
    await writeVcf(join(dir, 'genotypes.vcf.gz'), patients, variants, rand);
    const generateSeconds = Number(((performance.now() - genStart) / 1000).toFixed(2));
    const vcfMB = Math.round((await stat(join(dir, 'genotypes.vcf.gz'))).size / 2 ** 20);
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--load-only', dir, '--variants', String(variants)], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    if (child.status !== 0) throw new Error(`load failed:\n${child.stderr}`);
    const load = JSON.parse(child.stdout);
    const report = { patients, variants, genotypes: patients * variants, vcfGzMB: vcfMB, generateSeconds, node: process.version, ...load };
    if (flag('json')) {
      console.log(JSON.stringify(report, null, 2));
    } else {
      console.log(`loadSiteData: ${patients} patients × ${variants} variants (${(patients * variants / 1e6).toFixed(0)}M genotypes, ${vcfMB} MB .vcf.gz)`);
      const rows = [
        ['wall time', `${load.seconds} s`],
        ['peak RSS', `${load.peakRssMB} MB`],
        ['heap used (after load)', `${load.heapUsedMB} MB`],
        ['array buffers (after load)', `${load.arrayBuffersMB} MB`],
        ['records used (train/validation)', `${load.used} (${load.train}/${load.validation})`],
        ['features', String(load.featureCount)],
        ['data generation', `${generateSeconds} s`],
      ];
      const width = Math.max(...rows.map((r) => r[0].length));
      for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
    }
    if (flag('keep')) console.error(`data kept in ${dir}`);
  } finally {
    if (!flag('keep')) await rm(dir, { recursive: true, force: true });
  }
}

await main();
