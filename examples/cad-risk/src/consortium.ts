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

export async function ensureConsortium(outDir = DEFAULT_DATA_DIR, seed = DEFAULT_SEED, variants = DEFAULT_VARIANT_COUNT): Promise<{ sites: SiteSpec[]; generated: boolean }> {
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
  return { sites, generated };
}
