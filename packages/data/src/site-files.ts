/** Finds a site's clinical table and genotype file inside its data folder. */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { dataError } from './data-error.js';
import type { SiteMapping } from './schema.js';

export interface SiteFiles {
  clinical: string;
  genotypes: string | null;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function firstExisting(dir: string, names: readonly string[]): Promise<string | undefined> {
  for (const name of names) if (await isFile(join(dir, name))) return join(dir, name);
  return undefined;
}

export async function locateSiteFiles(dir: string, mapping: SiteMapping | undefined, needsGenotypes: boolean): Promise<SiteFiles> {
  // Messages name files, not the folder: an error message may leave the site.
  const clinicalNames = mapping?.clinicalFile ? [mapping.clinicalFile] : ['clinical.csv', 'clinical.tsv'];
  const clinical = await firstExisting(dir, clinicalNames);
  if (clinical === undefined) {
    throw dataError(
      { file: clinicalNames[0] ?? 'clinical.csv' },
      `not found in the site's data folder; fix: put the clinical table there as ${clinicalNames.join(' or ')}` +
        (mapping?.clinicalFile ? '' : ', or name it in the site mapping (clinicalFile)'),
    );
  }
  if (!needsGenotypes) return { clinical, genotypes: null };
  const vcfNames = mapping?.genotypesFile ? [mapping.genotypesFile] : ['genotypes.vcf', 'genotypes.vcf.gz'];
  const genotypes = await firstExisting(dir, vcfNames);
  if (genotypes === undefined) {
    throw dataError(
      { file: vcfNames[0] ?? 'genotypes.vcf' },
      `not found in the site's data folder, and the task uses genomic variants; fix: put the genotypes there as ${vcfNames.join(' or ')}` +
        (mapping?.genotypesFile ? '' : ', or name the file in the site mapping (genotypesFile)'),
    );
  }
  return { clinical, genotypes };
}
