export { loadSiteData } from './load-site-data.js';
export { readVcfDosages, MISSING_CALL } from './vcf-reader.js';
export type { ReadVcfOptions, VcfDosages, VcfRecordInfo } from './vcf-reader.js';
export { encodeFeatureNames, featureCount } from './feature-names.js';
export { validateSchema } from './validate-schema.js';
export { summarizeLoad } from './summarize-load.js';
export { assignSplit, splitPosition } from './split.js';
export { DEFAULT_MISSING_TOKENS } from './values.js';
export type {
  BooleanFeature,
  CategoricalFeature,
  ClinicalFeature,
  DataSchema,
  GenomicSpec,
  MissingPolicy,
  NumericFeature,
  SiteMapping,
} from './schema.js';
export type { EncodedSplit, LoadOptions, LoadSummary, SiteDataset } from './dataset.js';
