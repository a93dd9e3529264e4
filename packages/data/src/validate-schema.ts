/**
 * Checks a task's data schema before any site reads a byte: the schema is part
 * of a signed manifest, so nonsense in it is a task error (TASK_INVALID), not a
 * hospital's data error.
 */
import { CohortError } from '@cohortfl/wire';
import { encodeFeatureNames } from './feature-names.js';
import type { ClinicalFeature, DataSchema, MissingPolicy } from './schema.js';
import { encodeValue, featureWidth, parseBinary } from './values.js';

function invalid(message: string): never {
  throw new CohortError('TASK_INVALID', `data schema: ${message}`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isName = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0 && v.trim() === v;

function checkPolicy(policy: unknown, where: string): asserts policy is MissingPolicy | undefined {
  if (policy === undefined) return;
  if (!isObject(policy)) invalid(`${where}: missing policy must be { strategy: 'drop' | 'impute' | 'error' }`);
  const s = policy.strategy;
  if (s !== 'drop' && s !== 'impute' && s !== 'error') invalid(`${where}: unknown missing strategy '${String(s)}', expected drop, impute or error`);
  if (s === 'impute' && !['number', 'string', 'boolean'].includes(typeof policy.value)) {
    invalid(`${where}: an impute policy needs a value (number, string or boolean) in the task's units`);
  }
}

function checkFeature(f: unknown, index: number): asserts f is ClinicalFeature {
  if (!isObject(f) || !isName(f.name)) invalid(`clinical[${index}] needs a non-empty name without surrounding spaces`);
  const where = `feature '${f.name}'`;
  if (f.type === 'number') {
    if (f.unit !== undefined && typeof f.unit !== 'string') invalid(`${where}: unit must be a string`);
    if (f.range !== undefined) {
      const r = f.range;
      if (!Array.isArray(r) || r.length !== 2 || !r.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        invalid(`${where}: range must be [min, max] with finite numbers`);
      }
      if (!(r[0] < r[1])) invalid(`${where}: range [${r[0]}, ${r[1]}] needs min < max`);
    }
  } else if (f.type === 'category') {
    const values = f.values;
    if (!Array.isArray(values) || values.length === 0) invalid(`${where}: a category needs a non-empty list of values`);
    if (!values.every(isName)) invalid(`${where}: category values must be non-empty strings without surrounding spaces`);
    if (new Set(values).size !== values.length) invalid(`${where}: category values are repeated`);
  } else if (f.type !== 'boolean') {
    invalid(`${where}: unknown type '${String(f.type)}', expected number, category or boolean`);
  }
  checkPolicy(f.missing, where);
}

function checkImpute(feature: ClinicalFeature, policy: MissingPolicy, where: string): void {
  if (policy.strategy !== 'impute') return;
  const scratch = new Float32Array(featureWidth(feature));
  const problem = encodeValue(feature, policy.value, scratch, 0);
  if (problem !== null) invalid(`${where}: impute value '${String(policy.value)}' for feature '${feature.name}' is invalid, ${problem}`);
}

function checkGenomic(g: unknown): void {
  if (g === undefined) return;
  if (!isObject(g) || !Array.isArray(g.variants)) invalid('genomic.variants must be a list of variant IDs');
  const variants: unknown[] = g.variants;
  if (!variants.every(isName)) invalid('genomic.variants must be non-empty IDs without spaces');
  const seen = new Set<string>();
  for (const v of variants as string[]) {
    if (seen.has(v)) invalid(`genomic variant '${v}' is listed twice`);
    seen.add(v);
  }
  const mv = g.missingVariant;
  if (mv !== undefined) {
    if (!isObject(mv) || (mv.strategy !== 'error' && mv.strategy !== 'impute')) invalid("genomic.missingVariant must be { strategy: 'error' } or { strategy: 'impute', value }");
    if (mv.strategy === 'impute' && !(typeof mv.value === 'number' && mv.value >= 0 && mv.value <= 2)) invalid('genomic.missingVariant impute value must be a dosage from 0 to 2');
  }
  checkPolicy(g.missingCall, 'genomic.missingCall');
  const mc = g.missingCall as MissingPolicy | undefined;
  if (mc?.strategy === 'impute' && !(typeof mc.value === 'number' && mc.value >= 0 && mc.value <= 2)) {
    invalid('genomic.missingCall impute value must be a dosage from 0 to 2');
  }
}

export function validateSchema(schema: DataSchema): void {
  const s: unknown = schema;
  if (!isObject(s)) invalid('must be an object');
  const id = s.id ?? 'sample_id';
  if (!isName(id)) invalid('id must be a non-empty column name');
  if (!isObject(s.label) || !isName(s.label.name)) invalid('label needs a non-empty column name');
  const label = s.label.name;
  checkPolicy(s.label.missing, `label '${label}'`);
  const lm = s.label.missing as MissingPolicy | undefined;
  if (lm?.strategy === 'impute' && parseBinary(lm.value) === undefined) invalid(`label '${label}': impute value must be 0/1, true/false or yes/no`);
  if (label === id) invalid(`label '${label}' is also the sample ID column`);
  if (!Array.isArray(s.clinical)) invalid('clinical must be a list of features (it may be empty)');
  checkPolicy(s.missing, 'schema.missing');
  const names = new Set<string>();
  s.clinical.forEach((f: unknown, i: number) => {
    checkFeature(f, i);
    if (names.has(f.name)) invalid(`feature '${f.name}' is listed twice`);
    if (f.name === label) invalid(`the label '${label}' is listed as a feature`);
    if (f.name === id) invalid(`the sample ID column '${id}' is listed as a feature`);
    names.add(f.name);
    checkImpute(f, f.missing ?? (s.missing as MissingPolicy | undefined) ?? { strategy: 'drop' }, f.missing ? `feature '${f.name}'` : 'schema.missing');
  });
  checkGenomic(s.genomic);
  if (s.subgroups !== undefined) {
    if (!Array.isArray(s.subgroups) || !s.subgroups.every(isName)) invalid('subgroups must be a list of column names');
    const groups = s.subgroups as string[];
    if (new Set(groups).size !== groups.length) invalid('a subgroup column is listed twice');
    for (const g of groups) {
      if (g === label) invalid(`the label '${label}' cannot be a subgroup`);
      if (g === id) invalid(`the sample ID column '${id}' cannot be a subgroup`);
    }
  }
  if (s.consent !== undefined) {
    if (!isName(s.consent)) invalid('consent must be a non-empty column name');
    if (s.consent === id || s.consent === label || names.has(s.consent)) invalid(`consent column '${s.consent}' is also the ID, the label or a feature`);
  }
  const encoded = encodeFeatureNames(schema);
  if (encoded.length === 0) invalid('has no features: list clinical features or genomic variants');
  const seen = new Set<string>();
  for (const n of encoded) {
    if (seen.has(n)) invalid(`encoded feature name '${n}' occurs twice (a variant ID or a 'name=value' clashes with another feature)`);
    seen.add(n);
  }
}
