import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { freshRecordEachTest, type ProvenanceFixture } from './fixtures.test-suite.js';
import type { ProvenanceRecord } from './types.js';

const schema = JSON.parse(readFileSync(new URL('../../schemas/provenance.schema.json', import.meta.url), 'utf8')) as object;
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);

const fresh = freshRecordEachTest(3);
let fx: ProvenanceFixture;
let record: ProvenanceRecord;
beforeEach(() => ({ fx, record } = { fx: fresh.fx(), record: fresh.record() }));

function errorsOf(value: unknown): string[] {
  expect(validate(value)).toBe(false);
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

describe('provenance.schema.json', () => {
  it('accepts a built record, with and without secure aggregation and DP', () => {
    expect(validate(record), JSON.stringify(validate.errors)).toBe(true);
    record.task.secureAggregation = null;
    record.task.privacy = null;
    expect(validate(record), JSON.stringify(validate.errors)).toBe(true);
  });

  it('rejects a missing field', () => {
    delete (record.rounds[1] as Partial<typeof record.rounds[number]>).chainHash;
    expect(errorsOf(record)).toContainEqual("/rounds/1 must have required property 'chainHash'");
  });

  it('rejects a hash that is not 64 lowercase hex characters', () => {
    record.checkpoint.sha256 = record.checkpoint.sha256.toUpperCase();
    expect(errorsOf(record)).toContainEqual(expect.stringMatching(/^\/checkpoint\/sha256 must match pattern/));
    record.checkpoint.sha256 = record.checkpoint.sha256.toLowerCase().slice(1);
    expect(errorsOf(record)).toContainEqual(expect.stringMatching(/^\/checkpoint\/sha256 must match pattern/));
  });

  it('rejects unknown properties, a wrong domain and a non-number metric', () => {
    expect(errorsOf({ ...record, extra: 1 })).toContainEqual(' must NOT have additional properties');
    expect(errorsOf({ ...record, signature: { ...record.signature, domain: 'cohortfl/v1/audit' } })).toContainEqual('/signature/domain must be equal to constant');
    (record.rounds[0]!.evalMetrics as Record<string, unknown>)['pooled/auc'] = null;
    expect(errorsOf(record)).toContainEqual("/rounds/0/evalMetrics/pooled~1auc must be number");
  });
});
