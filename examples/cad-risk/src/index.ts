export { cadRiskTask, cadSchema, ANCESTRIES } from './task.js';
export type { CadTaskOptions } from './task.js';
export { ensureConsortium, snpPanel, DEFAULT_DATA_DIR } from './consortium.js';
export type { Consortium } from './consortium.js';
export { generateConsortium, DEFAULT_SEED, DEFAULT_VARIANT_COUNT } from './generate.js';
export type { GenerateOptions, GeneratedConsortium, GeneratedSite } from './generate.js';
export { DEFAULT_SITES } from './sites.js';
