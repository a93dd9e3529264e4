export { cadRiskTask, cadSchema, panel, ANCESTRIES } from './task.js';
export type { CadTaskOptions } from './task.js';
export { ensureConsortium, DEFAULT_DATA_DIR } from './consortium.js';
export { generateConsortium, DEFAULT_SEED, DEFAULT_VARIANT_COUNT } from './generate.js';
export type { GenerateOptions, GeneratedConsortium, GeneratedSite } from './generate.js';
export { DEFAULT_SITES } from './sites.js';
