import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { runGenerateCli } from './generate-cli.js';
import { clinicalLogit, consortiumConfigHash, generateConsortium, PGS_SD, rocAuc, type GeneratedConsortium } from './generate.js';
import { createRng } from './prng.js';
import { ANCESTRIES, CLINICAL_COLUMNS, CLINICAL_RANGES, DEFAULT_SITES, type Ancestry, type GeneratedMapping, type SiteSpec } from './sites.js';

const tmpDirs: string[] = [];
function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cad-risk-'));
  tmpDirs.push(dir);
  return dir;
}
afterAll(() => tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const SMALL_SITES: SiteSpec[] = [
  { name: 'alpha', code: 'ALP', n: 60, ancestry: { EUR: 1 }, prevalence: 0.2, ageMean: 60, maleFraction: 0.5, smokingRate: 0.2 },
  { name: 'beta', code: 'BET', n: 60, ancestry: { AFR: 0.7, EUR: 0.3 }, prevalence: 0.15, ageMean: 55, maleFraction: 0.5, smokingRate: 0.2, layout: 'local' },
  { name: 'gamma', code: 'GAM', n: 60, ancestry: { EAS: 0.5, SAS: 0.5 }, prevalence: 0.3, ageMean: 50, maleFraction: 0.5, smokingRate: 0.2 },
];
const small = (outDir: string, seed = 7) => generateConsortium({ outDir, seed, variants: 50, causalVariants: 20, sites: SMALL_SITES });

function fileHashes(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(root, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  walk(root);
  return out;
}

interface Vcf {
  meta: string[];
  samples: string[];
  rows: { chrom: number; pos: number; id: string; ref: string; alt: string; fields: string[]; gts: string[] }[];
}
function readVcf(path: string): Vcf {
  const lines = gunzipSync(readFileSync(path)).toString('latin1').split('\n');
  expect(lines.pop()).toBe(''); // file ends with a newline
  const meta = lines.filter((l) => l.startsWith('##'));
  const header = lines.find((l) => l.startsWith('#CHROM'))!.split('\t');
  expect(header.slice(0, 9)).toEqual(['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', 'FORMAT']);
  const rows = lines.filter((l) => !l.startsWith('#')).map((l) => {
    const f = l.split('\t');
    return { chrom: Number(f[0]), pos: Number(f[1]), id: f[2]!, ref: f[3]!, alt: f[4]!, fields: f, gts: f.slice(9) };
  });
  return { meta, samples: header.slice(9), rows };
}
function readCsv(path: string): { header: string[]; rows: Record<string, string>[] } {
  const lines = readFileSync(path, 'utf8').split('\n');
  expect(lines.pop()).toBe('');
  const header = lines[0]!.split(',');
  const rows = lines.slice(1).map((l) => {
    const f = l.split(',');
    expect(f).toHaveLength(header.length);
    return Object.fromEntries(header.map((h, i) => [h, f[i]!]));
  });
  return { header, rows };
}
/** A local site's rows translated to task columns and codes through its mapping. */
function toTask(rows: Record<string, string>[], mapping: GeneratedMapping | undefined): Record<string, string>[] {
  if (mapping === undefined) return rows;
  return rows.map((r) => Object.fromEntries(CLINICAL_COLUMNS.map((col) => {
    const m = mapping.columns[col];
    if (typeof m === 'string') return [col, r[m]!];
    const local = r[m.from]!;
    expect(m.values).toHaveProperty([local]);
    return [col, String(m.values[local])];
  })));
}
const DOSAGE: Record<string, number> = { '0/0': 0, '0/1': 1, '1/1': 2 };

describe('generateConsortium', () => {
  it('is byte-for-byte deterministic for a seed, and a different seed changes the data', async () => {
    const [a, b, c] = [tmp(), tmp(), tmp()];
    await small(a);
    await small(b);
    await small(c, 8);
    const ha = fileHashes(a);
    expect(Object.keys(ha)).toEqual([
      'alpha/clinical.csv', 'alpha/genotypes.vcf.gz', 'beta/clinical.csv', 'beta/genotypes.vcf.gz', 'beta/mapping.json',
      'gamma/clinical.csv', 'gamma/genotypes.vcf.gz', 'truth.json',
    ]);
    expect(fileHashes(b)).toEqual(ha);
    const hc = fileHashes(c);
    for (const f of ['alpha/clinical.csv', 'alpha/genotypes.vcf.gz', 'gamma/genotypes.vcf.gz', 'truth.json']) expect(hc[f]).not.toBe(ha[f]);
    expect(hc['beta/mapping.json']).toBe(ha['beta/mapping.json']); // the mapping is a site fact, not random
  });

  it('writes well-formed CSV and VCF files whose samples match, with clean biallelic genotypes', async () => {
    const out = tmp();
    const result = await small(out);
    const truth = JSON.parse(readFileSync(result.truthPath, 'utf8'));
    const allIds = new Set<string>();
    for (const site of result.sites) {
      const csv = readCsv(site.clinicalPath);
      const rows = toTask(csv.rows, site.mapping);
      expect(rows).toHaveLength(site.n);
      const vcf = readVcf(site.genotypesPath);
      expect(vcf.samples).toEqual(rows.map((r) => r.sample_id));
      for (const r of rows) {
        expect(r.sample_id).toMatch(/^[A-Z]{3}-\d{6}$/);
        expect(allIds.has(r.sample_id!)).toBe(false);
        allIds.add(r.sample_id!);
        for (const k of ['age', 'bmi', 'ldl', 'sbp'] as const) {
          expect(r[k]).toMatch(/^\d+\.\d$/);
          const [lo, hi] = CLINICAL_RANGES[k];
          expect(Number(r[k])).toBeGreaterThanOrEqual(lo);
          expect(Number(r[k])).toBeLessThanOrEqual(hi);
        }
        expect(['M', 'F']).toContain(r.sex);
        expect(ANCESTRIES).toContain(r.ancestry);
        for (const k of ['smoker', 'diabetes', 'consent', 'cad'] as const) expect(['0', '1']).toContain(r[k]);
      }
      expect(vcf.meta.slice(0, 2)).toEqual(['##fileformat=VCFv4.2', '##source=cohortfl-cad-risk-generator']);
      expect(vcf.meta).toContain('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">');
      const contigs = vcf.meta.filter((m) => m.startsWith('##contig=')).map((m) => Number(/ID=(\d+),/.exec(m)![1]));
      expect(contigs).toEqual([...new Set(vcf.rows.map((r) => r.chrom))]);
      expect(vcf.rows.map((r) => r.id)).toEqual(result.variantIds);
      vcf.rows.forEach((row, k) => {
        expect(row.fields.slice(5, 9)).toEqual(['.', 'PASS', '.', 'GT']);
        expect(row.chrom).toBeGreaterThanOrEqual(1);
        expect(row.chrom).toBeLessThanOrEqual(22);
        expect(row.ref).toMatch(/^[ACGT]$/);
        expect(row.alt).toMatch(/^[ACGT]$/);
        expect(row.alt).not.toBe(row.ref);
        expect(row.gts).toHaveLength(site.n);
        for (const gt of row.gts) expect(DOSAGE).toHaveProperty([gt]);
        const prev = vcf.rows[k - 1];
        if (prev !== undefined) expect(row.chrom > prev.chrom || (row.chrom === prev.chrom && row.pos > prev.pos)).toBe(true);
      });
    }
    expect(result.variantIds).toHaveLength(50);
    expect(new Set(result.variantIds).size).toBe(50);
    expect(truth.variantIds).toEqual(result.variantIds);
    expect(result.causalVariantIds).toHaveLength(20);
    expect(truth.model.geneByAncestry.variantIds).toHaveLength(2);
    for (const id of truth.model.geneByAncestry.variantIds) expect(result.causalVariantIds).toContain(id);
    // PGS weights are scaled to the documented SD under base frequencies.
    const variance = truth.causalVariants.reduce((s: number, v: { weight: number; baseFreq: number }) => s + v.weight ** 2 * 2 * v.baseFreq * (1 - v.baseFreq), 0);
    expect(Math.sqrt(variance)).toBeCloseTo(PGS_SD, 9);
  });

  it('gives the local site its own names and codes, with a mapping covering every task column', async () => {
    const result = await small(tmp());
    const [alpha, beta] = result.sites;
    expect(alpha!.mapping).toBeUndefined();
    expect(existsSync(join(alpha!.dir, 'mapping.json'))).toBe(false);
    const header = readCsv(beta!.clinicalPath).header;
    expect(header).not.toContain('sample_id');
    expect(header).not.toContain('age');
    const mapping = JSON.parse(readFileSync(beta!.mappingPath!, 'utf8')) as GeneratedMapping;
    expect(mapping).toEqual(beta!.mapping);
    expect(Object.keys(mapping.columns).sort()).toEqual([...CLINICAL_COLUMNS].sort());
    const sources = Object.values(mapping.columns).map((m) => (typeof m === 'string' ? m : m.from));
    expect(sources.sort()).toEqual([...header].sort());
  });

  it('writes at least one unconsented patient per site to both files', async () => {
    const result = await small(tmp());
    for (const site of result.sites) {
      const rows = toTask(readCsv(site.clinicalPath).rows, site.mapping);
      const withdrawn = rows.filter((r) => r.consent === '0').map((r) => r.sample_id);
      expect(withdrawn.length).toBeGreaterThanOrEqual(1);
      expect(withdrawn.length).toBeLessThan(site.n / 10);
      const samples = new Set(readVcf(site.genotypesPath).samples);
      for (const id of withdrawn) expect(samples.has(id!)).toBe(true);
    }
  });

  it('rejects bad configs before writing anything', async () => {
    const out = join(tmp(), 'never');
    const bad: Parameters<typeof generateConsortium>[0][] = [
      { outDir: out, variants: 0 },
      { outDir: out, variants: 10, causalVariants: 11 },
      { outDir: out, seed: -1 },
      { outDir: out, sites: [] },
      { outDir: out, sites: [SMALL_SITES[0]!, { ...SMALL_SITES[1]!, name: 'alpha' }] },
      { outDir: out, sites: [{ ...SMALL_SITES[0]!, code: 'ALP1' }] },
      { outDir: out, sites: [{ ...SMALL_SITES[0]!, ancestry: { XYZ: 1 } as Partial<Record<Ancestry, number>> }] },
      { outDir: out, sites: [{ ...SMALL_SITES[0]!, ancestry: { EUR: 0 } }] },
      { outDir: out, sites: [{ ...SMALL_SITES[0]!, prevalence: 0 }] },
      { outDir: out, sites: [{ ...SMALL_SITES[0]!, n: 1.5 }] },
    ];
    for (const options of bad) {
      const error = await generateConsortium(options).catch((e: unknown) => e);
      expect(isCohortError(error, 'CONFIG_INVALID')).toBe(true);
    }
    expect(existsSync(out)).toBe(false);
  });

  describe('on a medium consortium (2 sites × 1500 patients, 200 variants, 100 causal)', () => {
    const sites: SiteSpec[] = [
      { ...SMALL_SITES[0]!, n: 1500, ancestry: { EUR: 0.6, AFR: 0.4 }, prevalence: 0.25 },
      { ...SMALL_SITES[2]!, n: 1500, ancestry: { EAS: 0.6, AFR: 0.4 }, prevalence: 0.12 },
    ];
    let result: GeneratedConsortium;
    beforeAll(async () => {
      result = await generateConsortium({ outDir: tmp(), seed: 3, variants: 200, causalVariants: 100, sites });
    });

    it('hits each target prevalence and a realistic oracle AUC', () => {
      result.sites.forEach((s, k) => expect(Math.abs(s.prevalence - sites[k]!.prevalence)).toBeLessThan(0.05));
      expect(result.oracleAuc).toBeGreaterThan(0.7);
      expect(result.oracleAuc).toBeLessThan(0.95);
    });

    it('truth.json reproduces the oracle AUC from the files alone', () => {
      const truth = JSON.parse(readFileSync(result.truthPath, 'utf8'));
      const causal = new Map<string, { weight: number; baseFreq: number; multipliers: Record<Ancestry, number> }>(
        truth.causalVariants.map((v: { id: string }) => [v.id, v]),
      );
      const scores: number[] = [];
      const labels: number[] = [];
      const freqSums = { AFR: [0, 0], EAS: [0, 0] } as Record<'AFR' | 'EAS', [number, number]>;
      result.sites.forEach((site, k) => {
        const rows = readCsv(site.clinicalPath).rows;
        const vcf = readVcf(site.genotypesPath);
        const logit = rows.map((r) => truth.sites[k].intercept + clinicalLogit({
          age: Number(r.age), sex: r.sex as 'M' | 'F', bmi: Number(r.bmi), ldl: Number(r.ldl), sbp: Number(r.sbp),
          smoker: Number(r.smoker) as 0 | 1, diabetes: Number(r.diabetes) as 0 | 1,
        }));
        for (const row of vcf.rows) {
          const v = causal.get(row.id);
          if (v === undefined) continue;
          row.gts.forEach((gt, i) => {
            const ancestry = rows[i]!.ancestry as Ancestry;
            logit[i]! += v.weight * v.multipliers[ancestry] * (DOSAGE[gt]! - 2 * v.baseFreq);
          });
        }
        rows.forEach((r, i) => {
          if (r.consent !== '1') return;
          scores.push(logit[i]!);
          labels.push(Number(r.cad));
        });
        // Allele counts of the first causal variant by ancestry, to check frequencies differ.
        const first = vcf.rows.find((r) => r.id === truth.causalVariants[0].id)!;
        first.gts.forEach((gt, i) => {
          const a = rows[i]!.ancestry;
          if (a !== 'AFR' && a !== 'EAS') return;
          freqSums[a][0] += DOSAGE[gt]!;
          freqSums[a][1] += 2;
        });
      });
      expect(rocAuc(scores, labels)).toBeCloseTo(result.oracleAuc!, 9);
      // Observed allele frequency per ancestry matches that ancestry's drawn frequency (binomial 4-sigma band).
      for (const a of ['AFR', 'EAS'] as const) {
        const p = truth.causalVariants[0].freq[a] as number;
        const [alleles, total] = freqSums[a];
        expect(Math.abs(alleles / total - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / total) + 1e-9);
      }
    });
  });
});

describe('the default consortium through the CLI', () => {
  it('generates five heterogeneous sites, then skips an unchanged config unless forced', async () => {
    const out = tmp();
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(`ERR ${l}`) };
    expect(await runGenerateCli(['--out', out, '--seed', '5', '--variants', '20'], io)).toBe(0);
    const truth = JSON.parse(readFileSync(join(out, 'truth.json'), 'utf8'));
    expect(truth.configHash).toBe(consortiumConfigHash({ seed: 5, variants: 20 }));
    expect(truth.sites.map((s: { name: string }) => s.name)).toEqual(DEFAULT_SITES.map((s) => s.name));
    for (const s of truth.sites) {
      expect(s.prevalence).toBeGreaterThan(0.05);
      expect(s.prevalence).toBeLessThan(0.4);
      expect(s.unconsented).toBeGreaterThanOrEqual(1);
    }
    const sizes = truth.sites.map((s: { n: number }) => s.n);
    expect(Math.min(...sizes)).toBe(300);
    expect(Math.max(...sizes)).toBe(5000);
    // Each single-ancestry-dominated site is dominated by a different group.
    const dominant = truth.sites.map((s: { ancestryCounts: Record<string, number> }) =>
      Object.entries(s.ancestryCounts).sort((x, y) => y[1] - x[1])[0]![0]);
    expect(new Set(dominant.slice(0, 3)).size).toBe(3);
    expect(lines.filter((l) => /prevalence=0\.\d{3}/.test(l))).toHaveLength(5);
    expect(lines.some((l) => l.startsWith('oracle AUC'))).toBe(true);

    const before = fileHashes(out);
    lines.length = 0;
    expect(await runGenerateCli(['--out', out, '--seed', '5', '--variants', '20'], io)).toBe(0);
    expect(lines[0]).toMatch(/up to date.*skipping/);
    lines.length = 0;
    expect(await runGenerateCli(['--out', out, '--seed', '5', '--variants', '20', '--force'], io)).toBe(0);
    expect(lines[0]).not.toMatch(/up to date/);
    expect(fileHashes(out)).toEqual(before);
  });

  it('exits with the config error code on bad arguments', async () => {
    const errors: string[] = [];
    const io = { out: () => undefined, err: (l: string) => errors.push(l) };
    expect(await runGenerateCli(['--seed', '1'], io)).toBe(2);
    expect(await runGenerateCli(['--out', tmp(), '--seed', 'abc'], io)).toBe(2);
    expect(await runGenerateCli(['--out', tmp(), '--variants', '0'], io)).toBe(2);
    expect(await runGenerateCli(['--out', tmp(), '--bogus'], io)).toBe(2);
    expect(errors).toHaveLength(4);
    expect(errors[0]).toMatch(/--out is required/);
  });
});

describe('rocAuc', () => {
  it('matches hand-computed values, averages ties, and needs both classes', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(rocAuc([1, 1, 1, 1], [0, 1, 0, 1])).toBe(0.5);
    expect(rocAuc([3, 2, 1], [0, 1, 1])).toBe(0);
    expect(rocAuc([1, 2], [1, 1])).toBeNull();
  });
});

describe('createRng', () => {
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = (xs: number[]): number => {
    const m = mean(xs);
    return mean(xs.map((x) => (x - m) ** 2));
  };

  it('repeats a stream for the same seed and name, and separates different ones', () => {
    const draw = (seed: number, stream: string) => {
      const r = createRng(seed, stream);
      return Array.from({ length: 8 }, () => r.uniform());
    };
    expect(draw(1, 'a')).toEqual(draw(1, 'a'));
    expect(draw(1, 'a')).not.toEqual(draw(1, 'b'));
    expect(draw(1, 'a')).not.toEqual(draw(2, 'a'));
  });

  it('draws normals, gammas and betas with the right mean and variance', () => {
    const r = createRng(11, 'moments');
    const n = 20_000;
    // Tolerances are ~5 standard errors of each estimate, so a correct sampler fails ~never.
    const z = Array.from({ length: n }, () => r.normal());
    expect(Math.abs(mean(z))).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(variance(z) - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    for (const shape of [0.45, 3]) {
      const g = Array.from({ length: n }, () => r.gamma(shape));
      expect(Math.abs(mean(g) - shape)).toBeLessThan(5 * Math.sqrt(shape / n));
    }
    // Balding–Nichols frequencies: Beta(p(1−F)/F, (1−p)(1−F)/F) has mean p and variance F·p(1−p).
    const p = 0.2;
    const F = 0.1;
    const b = Array.from({ length: n }, () => r.beta((p * (1 - F)) / F, ((1 - p) * (1 - F)) / F));
    expect(Math.abs(mean(b) - p)).toBeLessThan(5 * Math.sqrt((F * p * (1 - p)) / n));
    expect(variance(b)).toBeGreaterThan(F * p * (1 - p) * 0.9);
    expect(variance(b)).toBeLessThan(F * p * (1 - p) * 1.1);
    expect(b.every((x) => x > 0 && x < 1)).toBe(true);
  });

  it('samples distinct sorted indices and rejects impossible requests', () => {
    const r = createRng(3, 'sample');
    const s = r.sample(100, 30);
    expect(new Set(s).size).toBe(30);
    expect(s).toEqual([...s].sort((x, y) => x - y));
    expect(s.every((i) => i >= 0 && i < 100)).toBe(true);
    expect(() => r.sample(3, 4)).toThrow(RangeError);
    expect(() => r.gamma(0)).toThrow(RangeError);
    expect(() => r.categorical([0, 0])).toThrow(RangeError);
  });
});
