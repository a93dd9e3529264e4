/** One split of a site's encoded data: row-major features, labels, subgroup values. */
export interface EncodedSplit {
  /** n × featureCount, row-major. */
  x: Float32Array;
  /** n labels, 0 or 1. */
  y: Float32Array;
  n: number;
  /** Subgroup column → value per record (same order as rows). */
  groups: Record<string, string[]>;
}

export interface LoadSummary {
  clinicalFile: string;
  genotypesFile: string | null;
  /** Data rows read from the clinical file. */
  rowsRead: number;
  /** Rows excluded because consent was absent or withdrawn; never used. */
  unconsented: number;
  /** Rows dropped because of a missing value under a `drop` policy. */
  droppedMissing: number;
  /** Values filled in under an `impute` policy. */
  imputed: number;
  /** Records used (train + validation). */
  used: number;
  train: number;
  validation: number;
  positives: number;
  /** Task variants found in the VCF, and those imputed because the site lacks them. */
  variantsFound: number;
  variantsImputed: string[];
  /** VCF samples that have no clinical row (ignored). */
  vcfSamplesWithoutClinical: number;
}

export interface SiteDataset {
  featureNames: string[];
  featureCount: number;
  train: EncodedSplit;
  validation: EncodedSplit;
  summary: LoadSummary;
}

export interface LoadOptions {
  mapping?: SiteMapping;
  /** Seed of the deterministic train/validation split. Default 0. */
  seed?: number;
  /** Fraction of records held out for validation. Default 0.2. */
  validationFraction?: number;
}

import type { SiteMapping } from './schema.js';
