/**
 * The data schema a task declares. It is part of the task manifest, so it is
 * plain JSON: no functions, no classes. Every site encodes its records into
 * exactly this feature layout, which is what makes the model shared.
 */

/** What to do with a missing value. `impute` uses a value in the task's own units/codes. */
export type MissingPolicy =
  | { strategy: 'drop' }
  | { strategy: 'impute'; value: number | string | boolean }
  | { strategy: 'error' };

export interface NumericFeature {
  name: string;
  type: 'number';
  unit?: string;
  /** Values outside [min, max] are data errors. Also used to scale the value to [0, 1]. */
  range?: [number, number];
  missing?: MissingPolicy;
}

export interface CategoricalFeature {
  name: string;
  type: 'category';
  /** Allowed values (task codes). One-hot encoded in this order. */
  values: string[];
  missing?: MissingPolicy;
}

export interface BooleanFeature {
  name: string;
  type: 'boolean';
  missing?: MissingPolicy;
}

export type ClinicalFeature = NumericFeature | CategoricalFeature | BooleanFeature;

export interface GenomicSpec {
  /** Variant IDs (VCF ID column, e.g. rsIDs), encoded as additive ALT dosage 0/1/2. */
  variants: string[];
  /** A variant the site's VCF lacks entirely: error (default) or impute a dosage. */
  missingVariant?: { strategy: 'error' } | { strategy: 'impute'; value: number };
  /** A missing genotype call (./.) for one sample. Default: drop the record. */
  missingCall?: MissingPolicy;
}

export interface DataSchema {
  /** Sample ID column in the clinical file, matching VCF sample names. Default 'sample_id'. */
  id?: string;
  /** Binary outcome column; values 0/1 (or true/false, yes/no). */
  label: { name: string; missing?: MissingPolicy };
  clinical: ClinicalFeature[];
  genomic?: GenomicSpec;
  /**
   * Subgroup columns for fairness reporting (e.g. sex, ancestry). Kept per record
   * as strings at the site; never sent anywhere. A column may also be a feature.
   */
  subgroups?: string[];
  /** Consent column; a record is used only if its value is truthy (1/true/yes/y). */
  consent?: string;
  /** Default policy for missing clinical values when a feature names none. Default: drop. */
  missing?: MissingPolicy;
}

/** Site-side mapping from local column names and codes to the task's schema. */
export interface SiteMapping {
  /** Clinical file name inside the site folder. Default: clinical.csv, else clinical.tsv. */
  clinicalFile?: string;
  /** Genotype file name inside the site folder. Default: genotypes.vcf, else genotypes.vcf.gz. */
  genotypesFile?: string;
  /**
   * Task column name → local column name, or `{ from, values }` where `values`
   * maps local codes to task codes, e.g. `sex: { from: 'gender', values: { '1': 'M', '2': 'F' } }`.
   */
  columns?: Record<string, string | { from: string; values?: Record<string, string | number | boolean> }>;
  /** Local strings that mean "missing". Default: '', 'NA', 'N/A', 'NaN', '.', 'null'. */
  missingTokens?: string[];
}
