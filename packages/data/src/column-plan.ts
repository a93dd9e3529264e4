/**
 * Resolves the site mapping against the task schema into a plan: for each task
 * column, the local column to read, its recoding, and (for features) its
 * missing policy and slot in the encoded vector. Mapping mistakes are the
 * site's configuration errors (CONFIG_INVALID) and surface before any data is read.
 */
import { CohortError } from '@cohortfl/wire';
import { describeColumn } from './data-error.js';
import type { ClinicalFeature, DataSchema, MissingPolicy, SiteMapping } from './schema.js';
import { DEFAULT_MISSING_TOKENS, encodeValue, featureWidth, parseBinary, type TaskValue } from './values.js';

export interface ColumnSource {
  /** Name in the task schema. */
  task: string;
  /** Name in the site's clinical file. */
  local: string;
  /** Local code → task code; values not listed pass through unchanged. */
  recode: Map<string, TaskValue> | undefined;
  /** How messages name the column: "'gender' (sex)". */
  display: string;
}

export interface FeaturePlan {
  feature: ClinicalFeature;
  source: ColumnSource;
  missing: MissingPolicy;
  offset: number;
}

export interface ColumnPlan {
  id: ColumnSource;
  label: ColumnSource;
  labelMissing: MissingPolicy;
  consent: ColumnSource | undefined;
  subgroups: ColumnSource[];
  features: FeaturePlan[];
  /** Slots of the clinical part of the feature vector. */
  clinicalWidth: number;
  missingTokens: Set<string>;
}

const MAPPING_KEYS = new Set(['clinicalFile', 'genotypesFile', 'columns', 'missingTokens']);
const DROP: MissingPolicy = { strategy: 'drop' };

function invalid(message: string): never {
  throw new CohortError('CONFIG_INVALID', `site mapping: ${message}`);
}

function checkMappingShape(mapping: SiteMapping): void {
  const m: unknown = mapping;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) invalid('must be an object');
  for (const key of Object.keys(m)) if (!MAPPING_KEYS.has(key)) invalid(`unknown key '${key}', expected ${[...MAPPING_KEYS].join(', ')}`);
  for (const key of ['clinicalFile', 'genotypesFile'] as const) {
    const v = mapping[key];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0)) invalid(`${key} must be a file name`);
  }
  const tokens: unknown = mapping.missingTokens;
  if (tokens !== undefined && !(Array.isArray(tokens) && tokens.every((t) => typeof t === 'string'))) {
    invalid('missingTokens must be a list of strings');
  }
  const cols: unknown = mapping.columns;
  if (cols !== undefined && (typeof cols !== 'object' || cols === null || Array.isArray(cols))) invalid('columns must be an object');
}

/** A recode target must already be valid in the task's codes, so a typo fails here, not on row 9,000. */
function checkRecodeTarget(task: string, feature: ClinicalFeature | undefined, role: 'label' | 'other', local: string, value: unknown): void {
  if (!['string', 'number', 'boolean'].includes(typeof value)) invalid(`columns.${task}.values['${local}'] must be a string, number or boolean`);
  const v = value as TaskValue;
  if (feature !== undefined) {
    const problem = encodeValue(feature, v, new Float32Array(featureWidth(feature)), 0);
    if (problem !== null) invalid(`columns.${task}.values maps '${local}' to '${String(v)}', which is invalid for the task: ${problem}`);
  } else if (role === 'label' && parseBinary(v) === undefined) {
    invalid(`columns.${task}.values maps '${local}' to '${String(v)}'; the label needs 1/0, true/false or yes/no`);
  }
  // Consent and subgroup codes may be anything: only 1/true/yes/y count as consent.
}

export function planColumns(schema: DataSchema, mapping: SiteMapping = {}): ColumnPlan {
  checkMappingShape(mapping);
  const idName = schema.id ?? 'sample_id';
  const featureByName = new Map(schema.clinical.map((f) => [f.name, f]));
  const taskColumns = new Set<string>([idName, schema.label.name, ...featureByName.keys(), ...(schema.subgroups ?? [])]);
  if (schema.consent !== undefined) taskColumns.add(schema.consent);
  const columns = mapping.columns ?? {};
  for (const target of Object.keys(columns)) {
    if (!taskColumns.has(target)) {
      invalid(`maps task column '${target}', which the task does not have; task columns: ${[...taskColumns].join(', ')}`);
    }
  }

  const source = (task: string, role: 'label' | 'other' = 'other'): ColumnSource => {
    const spec = columns[task];
    if (spec === undefined) return { task, local: task, recode: undefined, display: describeColumn(task, task) };
    if (typeof spec === 'string') {
      if (spec.length === 0) invalid(`columns.${task} must name a local column`);
      return { task, local: spec, recode: undefined, display: describeColumn(spec, task) };
    }
    if (typeof spec !== 'object' || spec === null || typeof spec.from !== 'string' || spec.from.length === 0) {
      invalid(`columns.${task} must be a local column name or { from, values }`);
    }
    for (const key of Object.keys(spec)) if (key !== 'from' && key !== 'values') invalid(`columns.${task} has unknown key '${key}', expected from, values`);
    let recode: Map<string, TaskValue> | undefined;
    if (spec.values !== undefined) {
      if (typeof spec.values !== 'object' || spec.values === null) invalid(`columns.${task}.values must be an object of local code → task code`);
      recode = new Map();
      for (const [local, value] of Object.entries(spec.values)) {
        checkRecodeTarget(task, featureByName.get(task), role, local, value);
        recode.set(local, value);
      }
    }
    return { task, local: spec.from, recode, display: describeColumn(spec.from, task) };
  };

  let offset = 0;
  const features = schema.clinical.map((feature): FeaturePlan => {
    const plan = { feature, source: source(feature.name), missing: feature.missing ?? schema.missing ?? DROP, offset };
    offset += featureWidth(feature);
    return plan;
  });
  // An imputed outcome would be a made-up training target, so a schema-wide
  // impute default does not apply to the label; only the label's own policy can.
  const schemaDefault = schema.missing?.strategy === 'impute' ? undefined : schema.missing;
  return {
    id: source(idName),
    label: source(schema.label.name, 'label'),
    labelMissing: schema.label.missing ?? schemaDefault ?? DROP,
    consent: schema.consent === undefined ? undefined : source(schema.consent),
    subgroups: (schema.subgroups ?? []).map((g) => source(g)),
    features,
    clinicalWidth: offset,
    missingTokens: new Set(mapping.missingTokens ?? DEFAULT_MISSING_TOKENS),
  };
}

/** Every local column the clinical file must have, each once, with the task name it serves. */
export function requiredColumns(plan: ColumnPlan): ColumnSource[] {
  const all = [plan.id, plan.label, ...(plan.consent ? [plan.consent] : []), ...plan.features.map((f) => f.source), ...plan.subgroups];
  const seen = new Set<string>();
  return all.filter((c) => (seen.has(c.local) ? false : (seen.add(c.local), true)));
}
