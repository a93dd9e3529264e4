import { describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { encodeFeatureNames, featureCount, validateSchema, type DataSchema } from './index.js';

const good: DataSchema = {
  label: { name: 'cad' },
  clinical: [
    { name: 'age', type: 'number', range: [18, 100], unit: 'years' },
    { name: 'sex', type: 'category', values: ['M', 'F'] },
    { name: 'smoker', type: 'boolean', missing: { strategy: 'impute', value: false } },
  ],
  genomic: { variants: ['rs1', 'rs2'] },
  subgroups: ['sex', 'ancestry'],
  consent: 'consent',
};

function taskError(schema: unknown): string {
  try {
    validateSchema(schema as DataSchema);
  } catch (e) {
    if (isCohortError(e, 'TASK_INVALID')) return e.message;
    throw e;
  }
  throw new Error('expected TASK_INVALID');
}

describe('validateSchema', () => {
  it('accepts a sensible schema', () => {
    expect(() => validateSchema(good)).not.toThrow();
  });

  it('encodes names in schema order, categories one-hot, then variants', () => {
    expect(encodeFeatureNames(good)).toEqual(['age', 'sex=M', 'sex=F', 'smoker', 'rs1', 'rs2']);
    expect(featureCount(good)).toBe(6);
  });

  it.each([
    ['duplicate feature names', { ...good, clinical: [...good.clinical, { name: 'age', type: 'number' }] }, "feature 'age' is listed twice"],
    ['an empty category', { ...good, clinical: [{ name: 'sex', type: 'category', values: [] }] }, 'non-empty list of values'],
    ['repeated category values', { ...good, clinical: [{ name: 'sex', type: 'category', values: ['M', 'M'] }] }, 'category values are repeated'],
    ['a reversed range', { ...good, clinical: [{ name: 'age', type: 'number', range: [100, 18] }] }, 'needs min < max'],
    ['a non-finite range', { ...good, clinical: [{ name: 'age', type: 'number', range: [0, Infinity] }] }, 'finite numbers'],
    ['the label as a feature', { ...good, clinical: [{ name: 'cad', type: 'boolean' }] }, "the label 'cad' is listed as a feature"],
    ['the ID as a feature', { ...good, clinical: [{ name: 'sample_id', type: 'number' }] }, 'sample ID column'],
    ['an unknown type', { ...good, clinical: [{ name: 'x', type: 'text' }] }, "unknown type 'text'"],
    ['a duplicate variant', { ...good, genomic: { variants: ['rs1', 'rs1'] } }, "'rs1' is listed twice"],
    ['an impute value outside the categories', { ...good, clinical: [{ name: 'sex', type: 'category', values: ['M', 'F'], missing: { strategy: 'impute', value: 'X' } }] }, "impute value 'X'"],
    ['an impute value outside the range', { ...good, missing: { strategy: 'impute', value: 5 } }, "impute value '5' for feature 'age'"],
    ['an unknown missing strategy', { ...good, missing: { strategy: 'mean' } }, "unknown missing strategy 'mean'"],
    ['a missing-call dosage above 2', { ...good, genomic: { variants: ['rs1'], missingCall: { strategy: 'impute', value: 3 } } }, 'dosage from 0 to 2'],
    ['a clash of encoded names', { ...good, genomic: { variants: ['age'] } }, "'age' occurs twice"],
    ['no features at all', { label: { name: 'y' }, clinical: [] }, 'has no features'],
    ['the label as a subgroup', { ...good, subgroups: ['cad'] }, 'cannot be a subgroup'],
    ['consent that is also a feature', { ...good, consent: 'age' }, "consent column 'age'"],
    ['a label with no name', { ...good, label: {} }, 'label needs a non-empty column name'],
  ])('rejects %s', (_what, schema, message) => {
    expect(taskError(schema)).toContain(message);
  });
});
