import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { CohortError } from '@cohortfl/wire';
import { createRng, type Rng } from './prng.js';
import {
  ANCESTRIES, DEFAULT_SITES, clinicalHeader, clinicalRow, drawPatients, localMapping, validateSites,
  type Ancestry, type GeneratedMapping, type PatientRecord, type SiteSpec,
} from './sites.js';

/**
 * Deterministic synthetic hospitals for coronary artery disease risk: clinical
 * CSV + VCF genotypes per site, drawn from a known logistic model written to
 * truth.json, so a federated model can be scored against the true ceiling.
 */

/** Bump when output for the same config changes, so cached consortia are regenerated. */
export const GENERATOR_VERSION = 1;
export const DEFAULT_SEED = 42;
export const DEFAULT_VARIANT_COUNT = 2000;
/** Causal SNPs under the default config (fewer when there are few variants). */
export const CAD_CAUSAL_VARIANT_COUNT = 100;
/** Balding–Nichols drift between ancestry groups. */
export const FST = 0.1;
/** SD of the polygenic score, in logit units, at base allele frequencies. */
export const PGS_SD = 0.8;
/** Log-odds per unit of each standardized clinical term (see truth.json `model.clinical`). */
export const CLINICAL_EFFECTS = { age: 0.6, male: 0.5, bmi: 0.2, ldl: 0.4, sbp: 0.3, smoker: 0.6, diabetes: 0.7 } as const;
/** Effect multipliers of the gene-by-ancestry SNPs, so the PGS transfers imperfectly. */
export const GENE_BY_ANCESTRY: Readonly<Partial<Record<Ancestry, number>>> = { AFR: 2.0, EAS: 0.3 };
/** Share of causal SNPs whose effect depends on ancestry. */
const GXA_FRACTION = 0.1;

/** GRCh38 autosome lengths: variants are spread over chromosomes in proportion to them. */
const CHROM_LENGTHS = [
  248956422, 242193529, 198295559, 190214555, 181538259, 170805979, 159345973, 145138636, 138394717, 133797422, 135086622,
  133275309, 114364328, 107043718, 101991189, 90338345, 83257441, 80373285, 58617616, 64444167, 46709983, 50818468,
];
const BASES = ['A', 'C', 'G', 'T'] as const;

export interface GenerateOptions {
  outDir: string;
  seed?: number;
  variants?: number;
  /** Causal SNPs; default min(100, floor(variants / 2)). */
  causalVariants?: number;
  sites?: readonly SiteSpec[];
}

export interface GeneratedSite {
  name: string;
  dir: string;
  n: number;
  /** Observed share of patients with cad = 1. */
  prevalence: number;
  clinicalPath: string;
  genotypesPath: string;
  /** Present for a site with its own column names and codes (structurally a SiteMapping). */
  mapping?: GeneratedMapping;
  mappingPath?: string;
}

export interface GeneratedConsortium {
  sites: GeneratedSite[];
  variantIds: string[];
  causalVariantIds: string[];
  truthPath: string;
  /** AUC of the true risk over all consented patients: the ceiling for any model. */
  oracleAuc: number | null;
  configHash: string;
}

interface Variant {
  id: string;
  chrom: number;
  pos: number;
  ref: string;
  alt: string;
  baseFreq: number;
  /** ALT frequency per ancestry, in ANCESTRIES order. */
  freq: number[];
  causal: boolean;
  /** Log-odds per ALT allele before ancestry multipliers (0 if not causal). */
  weight: number;
  gxa: boolean;
}

interface ResolvedConfig {
  seed: number;
  variants: number;
  causal: number;
  sites: readonly SiteSpec[];
}

function resolveConfig(options: Omit<GenerateOptions, 'outDir'>): ResolvedConfig {
  const seed = options.seed ?? DEFAULT_SEED;
  const variants = options.variants ?? DEFAULT_VARIANT_COUNT;
  const sites = options.sites ?? DEFAULT_SITES;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new CohortError('CONFIG_INVALID', `seed must be a non-negative integer, got ${seed}`);
  if (!Number.isInteger(variants) || variants < 1 || variants > 200_000) {
    throw new CohortError('CONFIG_INVALID', `variants must be an integer in [1, 200000], got ${variants}`);
  }
  const causal = options.causalVariants ?? Math.min(CAD_CAUSAL_VARIANT_COUNT, Math.floor(variants / 2));
  if (!Number.isInteger(causal) || causal < 0 || causal > variants) {
    throw new CohortError('CONFIG_INVALID', `causalVariants must be an integer in [0, ${variants}], got ${causal}`);
  }
  validateSites(sites);
  return { seed, variants, causal, sites };
}

/** Hash of everything that determines the output bytes: equal hash, equal files. */
export function consortiumConfigHash(options: Omit<GenerateOptions, 'outDir'> = {}): string {
  const c = resolveConfig(options);
  // Fixed key order and explicit defaults, so equal specs written differently hash the same.
  const sites = c.sites.map((s) => [
    s.name, s.code, s.n, ANCESTRIES.map((a) => s.ancestry[a] ?? 0), s.prevalence, s.ageMean, s.maleFraction, s.smokingRate,
    s.bmiShift ?? 0, s.ldlShift ?? 0, s.sbpShift ?? 0, s.layout ?? 'standard',
  ]);
  const canonical = JSON.stringify({ version: GENERATOR_VERSION, seed: c.seed, variants: c.variants, causal: c.causal, sites });
  return createHash('sha256').update(canonical).digest('hex');
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Largest-remainder split of `total` over weights, so counts sum exactly to `total`. */
function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const counts = exact.map(Math.floor);
  const order = exact.map((x, i) => ({ r: x - Math.floor(x), i })).sort((a, b) => b.r - a.r || a.i - b.i);
  const missing = total - counts.reduce((a, b) => a + b, 0);
  for (let k = 0; k < missing; k++) counts[order[k]!.i]! += 1;
  return counts;
}

function buildVariants(c: ResolvedConfig): Variant[] {
  const rng = createRng(c.seed, 'variants');
  const perChrom = apportion(c.variants, CHROM_LENGTHS);
  const out: Variant[] = [];
  perChrom.forEach((count, ci) => {
    // One position per equal bin keeps positions strictly increasing within a chromosome.
    const bin = Math.floor((CHROM_LENGTHS[ci]! - 20_000) / Math.max(count, 1));
    for (let k = 0; k < count; k++) {
      const pos = 10_000 + k * bin + rng.int(bin);
      const refIndex = rng.int(4);
      const alt = BASES[(refIndex + 1 + rng.int(3)) % 4]!;
      const p = 0.05 + 0.45 * rng.uniform();
      // Balding–Nichols: p_a ~ Beta(p(1−F)/F, (1−p)(1−F)/F), mean p, variance F·p(1−p).
      const k1 = (1 - FST) / FST;
      const freq = ANCESTRIES.map(() => rng.beta(p * k1, (1 - p) * k1));
      out.push({ id: `rs${1_000_001 + out.length}`, chrom: ci + 1, pos, ref: BASES[refIndex]!, alt, baseFreq: p, freq, causal: false, weight: 0, gxa: false });
    }
  });
  const effects = createRng(c.seed, 'effects');
  const causal = effects.sample(out.length, c.causal);
  const raw = causal.map(() => effects.normal());
  // Scale so Var(PGS) = Σ w² 2p(1−p) = PGS_SD² under base frequencies and HWE.
  const variance = causal.reduce((acc, j, k) => acc + raw[k]! ** 2 * 2 * out[j]!.baseFreq * (1 - out[j]!.baseFreq), 0);
  const scale = variance > 0 ? PGS_SD / Math.sqrt(variance) : 0;
  causal.forEach((j, k) => {
    out[j]!.causal = true;
    out[j]!.weight = raw[k]! * scale;
  });
  for (const k of effects.sample(causal.length, Math.round(causal.length * GXA_FRACTION))) out[causal[k]!]!.gxa = true;
  return out;
}

const multiplier = (v: Variant, a: Ancestry): number => (v.gxa ? (GENE_BY_ANCESTRY[a] ?? 1) : 1);

/** The clinical part of the true logit (no intercept, no PGS). */
export function clinicalLogit(p: Pick<PatientRecord, 'age' | 'sex' | 'bmi' | 'ldl' | 'sbp' | 'smoker' | 'diabetes'>): number {
  const e = CLINICAL_EFFECTS;
  return (
    (e.age * (p.age - 55)) / 10 + (p.sex === 'M' ? e.male : 0) + (e.bmi * (p.bmi - 27)) / 5 + (e.ldl * (p.ldl - 130)) / 35 +
    (e.sbp * (p.sbp - 130)) / 18 + e.smoker * p.smoker + e.diabetes * p.diabetes
  );
}

function* vcfChunks(ids: readonly string[], anc: Uint8Array, variants: readonly Variant[], rng: Rng, pgs: Float64Array, hash: ReturnType<typeof createHash>): Generator<Buffer> {
  const contigs = [...new Set(variants.map((v) => v.chrom))].map((c) => `##contig=<ID=${c},length=${CHROM_LENGTHS[c - 1]}>\n`);
  const header = Buffer.from(
    '##fileformat=VCFv4.2\n##source=cohortfl-cad-risk-generator\n' + contigs.join('') +
      '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n' +
      `#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t${ids.join('\t')}\n`,
    'latin1',
  );
  hash.update(header);
  yield header;
  const n = ids.length;
  const homRef = new Float64Array(ANCESTRIES.length);
  const notHomAlt = new Float64Array(ANCESTRIES.length);
  for (const v of variants) {
    const effect = ANCESTRIES.map((a) => v.weight * multiplier(v, a));
    const center = 2 * v.baseFreq;
    v.freq.forEach((p, a) => {
      homRef[a] = (1 - p) * (1 - p);
      notHomAlt[a] = 1 - p * p;
    });
    const prefix = `${v.chrom}\t${v.pos}\t${v.id}\t${v.ref}\t${v.alt}\t.\tPASS\t.\tGT`;
    const line = Buffer.allocUnsafe(prefix.length + 4 * n + 1);
    let o = line.write(prefix, 0, 'latin1');
    for (let i = 0; i < n; i++) {
      const a = anc[i]!;
      // One uniform per call, inverted through the Binomial(2, p) CDF.
      const u = rng.uniform();
      const dosage = u < homRef[a]! ? 0 : u < notHomAlt[a]! ? 1 : 2;
      if (v.causal) pgs[i]! += effect[a]! * (dosage - center);
      line[o] = 0x09;
      line[o + 1] = dosage === 2 ? 0x31 : 0x30;
      line[o + 2] = 0x2f;
      line[o + 3] = dosage === 0 ? 0x30 : 0x31;
      o += 4;
    }
    line[o] = 0x0a;
    hash.update(line);
    yield line;
  }
}

/** Intercept whose expected prevalence over these patients is `target` (bisection; mean risk rises with it). */
function calibrateIntercept(logits: Float64Array, target: number): number {
  let lo = -20;
  let hi = 20;
  for (let iter = 0; iter < 100; iter++) {
    const mid = (lo + hi) / 2;
    let mean = 0;
    for (const x of logits) mean += sigmoid(mid + x);
    if (mean / logits.length < target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Mann–Whitney AUC with tied scores given average ranks; null without both classes. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number | null {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]!] === scores[order[start]!]) end++;
    const rank = (start + end + 2) / 2;
    for (let k = start; k <= end; k++) {
      if (labels[order[k]!] === 1) {
        positives++;
        rankSum += rank;
      }
    }
    start = end + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return null;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

interface SiteResult {
  site: GeneratedSite;
  truth: Record<string, unknown>;
  scores: number[];
  labels: number[];
}

async function generateSite(outDir: string, spec: SiteSpec, c: ResolvedConfig, variants: readonly Variant[]): Promise<SiteResult> {
  const dir = join(outDir, spec.name);
  await mkdir(dir, { recursive: true });
  const patients = drawPatients(spec, createRng(c.seed, `site/${spec.name}/clinical`));
  const anc = Uint8Array.from(patients, (p) => ANCESTRIES.indexOf(p.ancestry));
  const pgs = new Float64Array(patients.length);
  const vcfHash = createHash('sha256');
  const genotypesPath = join(dir, 'genotypes.vcf.gz');
  const chunks = vcfChunks(patients.map((p) => p.sampleId), anc, variants, createRng(c.seed, `site/${spec.name}/genotypes`), pgs, vcfHash);
  // Streamed through gzip with backpressure; gzip here carries no mtime, so bytes depend only on input.
  await pipeline(Readable.from(chunks), createGzip({ level: 6 }), createWriteStream(genotypesPath));

  const logits = Float64Array.from(patients, (p, i) => clinicalLogit(p) + pgs[i]!);
  const intercept = calibrateIntercept(logits, spec.prevalence);
  const outcome = createRng(c.seed, `site/${spec.name}/outcome`);
  patients.forEach((p, i) => (p.cad = outcome.bernoulli(sigmoid(intercept + logits[i]!)) ? 1 : 0));

  const layout = spec.layout ?? 'standard';
  const csv = [clinicalHeader(layout), ...patients.map((p) => clinicalRow(layout, p))].join('\n') + '\n';
  const clinicalPath = join(dir, 'clinical.csv');
  await writeFile(clinicalPath, csv);
  const site: GeneratedSite = { name: spec.name, dir, n: spec.n, prevalence: 0, clinicalPath, genotypesPath };
  const files: Record<string, string> = {
    clinical: `${spec.name}/clinical.csv`,
    clinicalSha256: createHash('sha256').update(csv).digest('hex'),
    genotypes: `${spec.name}/genotypes.vcf.gz`,
    genotypesUncompressedSha256: vcfHash.digest('hex'),
  };
  if (layout === 'local') {
    site.mapping = localMapping();
    site.mappingPath = join(dir, 'mapping.json');
    await writeFile(site.mappingPath, JSON.stringify(site.mapping, null, 2) + '\n');
    files.mapping = `${spec.name}/mapping.json`;
  }

  const cases = patients.reduce((acc, p) => acc + p.cad, 0);
  site.prevalence = cases / patients.length;
  const consented = patients.flatMap((p, i) => (p.consent === 1 ? [i] : []));
  const scores = consented.map((i) => intercept + logits[i]!);
  const labels = consented.map((i) => patients[i]!.cad);
  const ancestryCounts = Object.fromEntries(ANCESTRIES.map((a) => [a, patients.filter((p) => p.ancestry === a).length]));
  const truth = {
    name: spec.name, code: spec.code, layout, n: spec.n, consented: consented.length, unconsented: spec.n - consented.length,
    cases, prevalence: site.prevalence, targetPrevalence: spec.prevalence, intercept, oracleAuc: rocAuc(scores, labels), ancestryCounts, files,
  };
  return { site, truth, scores, labels };
}

/** Writes `outDir/<site>/{clinical.csv, genotypes.vcf.gz[, mapping.json]}` and `outDir/truth.json` (last, atomically). */
export async function generateConsortium(options: GenerateOptions): Promise<GeneratedConsortium> {
  const c = resolveConfig(options);
  const configHash = consortiumConfigHash(options);
  const variants = buildVariants(c);
  await mkdir(options.outDir, { recursive: true });
  const truthPath = join(options.outDir, 'truth.json');
  // A stale truth.json would vouch for half-overwritten files if this run stopped midway.
  await rm(truthPath, { force: true });
  const results: SiteResult[] = [];
  for (const spec of c.sites) results.push(await generateSite(options.outDir, spec, c, variants));

  const oracleAuc = rocAuc(results.flatMap((r) => r.scores), results.flatMap((r) => r.labels));
  const causal = variants.filter((v) => v.causal);
  const truth = {
    generator: 'cohortfl-cad-risk-generator', version: GENERATOR_VERSION, configHash, seed: c.seed,
    variantCount: c.variants, causalVariantCount: causal.length, oracleAuc,
    oracleAucDefinition: 'AUC of the true logit (site intercept + clinical + PGS) against cad, over consented patients of all sites',
    model: {
      link: 'logit',
      formula: 'logit P(cad=1) = intercept[site] + age*(age-55)/10 + male*[sex=M] + bmi*(bmi-27)/5 + ldl*(ldl-130)/35 + sbp*(sbp-130)/18 + smoker*smoker + diabetes*diabetes + PGS',
      clinical: CLINICAL_EFFECTS,
      pgs: {
        definition: 'sum over causal j of weight_j * multiplier_j[ancestry] * (ALT dosage_j - 2 * baseFreq_j)',
        sdAtBaseFrequencies: PGS_SD, effectAllele: 'ALT', fst: FST,
      },
      geneByAncestry: { multipliers: GENE_BY_ANCESTRY, variantIds: causal.filter((v) => v.gxa).map((v) => v.id) },
    },
    sites: results.map((r) => r.truth),
    variantIds: variants.map((v) => v.id),
    causalVariants: causal.map((v) => ({
      id: v.id, chrom: v.chrom, pos: v.pos, ref: v.ref, alt: v.alt, baseFreq: v.baseFreq,
      freq: Object.fromEntries(ANCESTRIES.map((a, k) => [a, v.freq[k]])), weight: v.weight,
      multipliers: Object.fromEntries(ANCESTRIES.map((a) => [a, multiplier(v, a)])),
    })),
  };
  // Written last and renamed into place: a truth.json means a complete consortium (the CLI relies on it).
  await writeFile(`${truthPath}.tmp`, JSON.stringify(truth, null, 2) + '\n');
  await rename(`${truthPath}.tmp`, truthPath);
  return {
    sites: results.map((r) => r.site), variantIds: truth.variantIds, causalVariantIds: causal.map((v) => v.id), truthPath, oracleAuc, configHash,
  };
}
