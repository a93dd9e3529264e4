/** Generate the cad-risk consortium once (idempotent) and describe its sites for the SDK. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SiteMapping } from '@cohortfl/data';
import type { SiteSpec } from '@cohortfl/sdk';
import { consortiumConfigHash, DEFAULT_SEED, DEFAULT_VARIANT_COUNT, generateConsortium } from './generate.js';
import { DEFAULT_SITES } from './sites.js';

/** Default location of generated data: examples/cad-risk/data (git-ignored). */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../data', import.meta.url));

export interface Consortium {
  sites: SiteSpec[];
  /** The SNP panel the task uses (see `snpPanel`). */
  panel: string[];
  generated: boolean;
}

/**
 * The consortium's SNP panel, as a published polygenic score would give it: the
 * variants with a true effect plus an equal number of null variants (GWAS hits
 * that do not replicate), in VCF order. Using every genotyped SNP instead would
 * bury ~100 real signals under ~1,900 noise features for ~8,000 patients.
 */
export function snpPanel(truthPath: string): string[] {
  const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as { variantIds: string[]; causalVariants: { id: string }[] };
  const causal = new Set(truth.causalVariants.map((v) => v.id));
  const nulls = new Set(truth.variantIds.filter((id) => !causal.has(id)).slice(0, causal.size));
  return truth.variantIds.filter((id) => causal.has(id) || nulls.has(id));
}

export async function ensureConsortium(outDir = DEFAULT_DATA_DIR, seed = DEFAULT_SEED, variants = DEFAULT_VARIANT_COUNT): Promise<Consortium> {
  const truth = join(outDir, 'truth.json');
  let generated = false;
  const wanted = consortiumConfigHash({ seed, variants });
  const current = existsSync(truth) ? (JSON.parse(readFileSync(truth, 'utf8')) as { configHash?: string }).configHash : undefined;
  if (current !== wanted) {
    await generateConsortium({ outDir, seed, variants });
    generated = true;
  }
  const sites = DEFAULT_SITES.map((s) => {
    const dataDir = join(outDir, s.name);
    const mappingPath = join(dataDir, 'mapping.json');
    const mapping = existsSync(mappingPath) ? (JSON.parse(readFileSync(mappingPath, 'utf8')) as SiteMapping) : undefined;
    return { name: s.name, dataDir, ...(mapping ? { mapping } : {}) };
  });
  return { sites, panel: snpPanel(truth), generated };
}
