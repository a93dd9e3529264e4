import { afterAll, describe, expect, it } from 'vitest';
import { isCohortError, type ErrorCode } from '@cohortfl/wire';
import { loadSiteData, type DataSchema, type LoadOptions } from './index.js';
import { csvText, removeSiteDirs, siteDir, vcfText } from './site-dir.test-suite.js';

afterAll(removeSiteDirs);

const schema: DataSchema = {
  label: { name: 'cad' },
  clinical: [
    { name: 'age', type: 'number', range: [20, 80] },
    { name: 'sex', type: 'category', values: ['M', 'F'] },
    { name: 'smoker', type: 'boolean' },
  ],
  consent: 'consent',
};
const header = ['sample_id', 'age', 'sex', 'smoker', 'consent', 'cad'];
const okRow = ['P1', 20, 'M', 'yes', 1, 1];

async function failure(files: Record<string, string>, s: DataSchema = schema, options?: LoadOptions, code: ErrorCode = 'DATA_INVALID') {
  const dir = await siteDir(files);
  try {
    await loadSiteData(dir, s, options);
  } catch (e) {
    if (isCohortError(e, code)) return { message: e.message, details: e.details };
    throw e;
  }
  throw new Error(`expected ${code}`);
}
const clinicalError = async (rows: (string | number)[][], s?: DataSchema, options?: LoadOptions) =>
  (await failure({ 'clinical.csv': csvText(header, rows) }, s, options)).message;

describe('clinical data errors name file, physical line, column, value and fix', () => {
  it('a word in a numeric column, counting blank lines and multi-line quoted fields', async () => {
    const text = 'sample_id,age,sex,smoker,consent,cad,note\nP1,20,M,yes,1,1,ok\n\nP2,80,F,no,1,0,"first\nsecond"\nP3,unknown,F,1,1,1,x\n';
    const { message, details } = await failure({ 'clinical.csv': text });
    expect(message).toBe("clinical.csv line 6: column 'age' is 'unknown', expected a number");
    expect(details).toEqual({ file: 'clinical.csv', line: 6, column: 'age' });
  });

  it('names the local column and the task column when mapped', async () => {
    const text = csvText(['sample_id', 'years', 'sex', 'smoker', 'consent', 'cad'], [okRow, ['P2', 'unknown', 'F', 0, 1, 0]]);
    const { message, details } = await failure({ 'clinical.csv': text }, schema, { mapping: { columns: { age: 'years' } } });
    expect(message).toBe("clinical.csv line 3: column 'years' (age) is 'unknown', expected a number");
    expect(details?.column).toBe('years');
  });

  it.each([
    [['P2', 150, 'F', 0, 1, 0], "clinical.csv line 3: column 'age' is '150', expected a number from 20 to 80 (the task's range)"],
    [['P2', 40, 'X', 0, 1, 0], "clinical.csv line 3: column 'sex' is 'X', expected one of M, F"],
    [['P2', 40, 'F', 'sometimes', 1, 0], "clinical.csv line 3: column 'smoker' is 'sometimes', expected 1/0, true/false or yes/no"],
    [['P2', 40, 'F', 0, 1, 'maybe'], "clinical.csv line 3: column 'cad' is 'maybe', expected 1/0, true/false or yes/no"],
    [['P2', '0x1E', 'F', 0, 1, 0], "clinical.csv line 3: column 'age' is '0x1E', expected a number"],
  ])('rejects a bad value: %j', async (row, message) => {
    expect(await clinicalError([okRow, row])).toBe(message);
  });

  it('lists the site codes when a recoded value is unknown', async () => {
    const text = csvText(['sample_id', 'age', 'gender', 'smoker', 'consent', 'cad'], [['P1', 30, '3', 0, 1, 0]]);
    const mapping = { columns: { sex: { from: 'gender', values: { '1': 'M', '2': 'F' } } } };
    const { message } = await failure({ 'clinical.csv': text }, schema, { mapping });
    expect(message).toBe("clinical.csv line 2: column 'gender' (sex) is '3', expected one of M, F (or one of the site mapping's codes 1, 2)");
  });

  it('rejects a missing value under an error policy', async () => {
    const strict: DataSchema = { ...schema, missing: { strategy: 'error' } };
    expect(await clinicalError([okRow, ['P2', 'NA', 'F', 0, 1, 0]], strict)).toBe(
      "clinical.csv line 3: column 'age' is 'NA' (missing) and the task does not allow missing values there; fill it in or remove the row",
    );
    expect(await clinicalError([okRow, ['P2', 40, 'F', 0, 1, '']], strict)).toMatch(/^clinical\.csv line 3: column 'cad' is empty and the task does not allow/);
  });

  it('treats site-configured missing tokens as missing', async () => {
    const dir = await siteDir({ 'clinical.csv': csvText(header, [okRow, ['P2', 'unknown', 'F', 0, 1, 0]]) });
    const ds = await loadSiteData(dir, schema, { mapping: { missingTokens: ['unknown', ''] } });
    expect(ds.summary).toMatchObject({ droppedMissing: 1, used: 1 });
  });

  it('lists the columns found when a required one is missing, the consent column included', async () => {
    const noAge = await failure({ 'clinical.csv': csvText(['sample_id', 'sex', 'smoker', 'consent', 'cad'], [['P1', 'M', 1, 1, 0]]) });
    expect(noAge.message).toBe(
      "clinical.csv line 1: missing column 'age'; columns found: sample_id, sex, smoker, consent, cad. " +
        'Fix: rename the column in the file, or map it in the site mapping (columns.<task column>: "<local column>")',
    );
    const noConsent = await failure({ 'clinical.csv': csvText(['sample_id', 'age', 'sex', 'smoker', 'cad'], [['P1', 30, 'M', 1, 0]]) });
    expect(noConsent.message).toMatch(/^clinical\.csv line 1: missing column 'consent'; columns found: sample_id, age, sex, smoker, cad\./);
    const mapped = await failure({ 'clinical.csv': csvText(header, [okRow]) }, schema, { mapping: { columns: { age: 'age_years' } } });
    expect(mapped.message).toMatch(/missing column 'age_years' \(mapped from task column 'age'\)/);
  });

  it('rejects duplicate and empty sample IDs, and a duplicated header column', async () => {
    expect(await clinicalError([okRow, ['P2', 30, 'F', 0, 0, 0], ['P1', 40, 'M', 0, 1, 1]])).toBe(
      "clinical.csv line 4: sample ID 'P1' appears again (first on line 2); remove or merge the duplicate row",
    );
    expect(await clinicalError([okRow, ['', 30, 'F', 0, 1, 0]])).toBe("clinical.csv line 3: column 'sample_id' is empty; every row needs a sample ID");
    const dup = await failure({ 'clinical.csv': csvText([...header, 'age'], [[...okRow, 3]]) });
    expect(dup.message).toBe("clinical.csv line 1: column 'age' appears twice in the header; rename or remove one");
  });

  it('reports rows with the wrong field count and broken quoting, with the line', async () => {
    expect((await failure({ 'clinical.csv': `${csvText(header, [okRow])}P2,30,F\n` })).message).toMatch(
      /^clinical\.csv line 3: row has 3 fields but the header has a different number; fix: check for an unquoted delimiter/,
    );
    expect((await failure({ 'clinical.csv': `${csvText(header, [okRow])}P2,3"0,F,0,1,0\n` })).message).toMatch(/^clinical\.csv line 3: .*quote/i);
  });

  it('fails clearly when no record is usable or the clinical file is absent', async () => {
    expect(await clinicalError([['P1', 20, 'M', 1, 'no', 1]])).toBe(
      'clinical.csv: no usable records: 1 rows read, 1 without consent, 0 dropped for missing values; fix: check the consent column and the missing values, or relax the missing policies',
    );
    expect((await failure({ 'clinical.csv': '' })).message).toBe(
      'clinical.csv line 1: the file is empty; fix: it needs a header line (sample_id, cad, consent, age, sex, smoker) and one row per sample',
    );
    const { message } = await failure({ 'other.csv': 'x' });
    expect(message).toBe(
      "clinical.csv: not found in the site's data folder; fix: put the clinical table there as clinical.csv or clinical.tsv, or name it in the site mapping (clinicalFile)",
    );
  });
});

describe('genotype join errors', () => {
  const genomic: DataSchema = { ...schema, genomic: { variants: ['rs1'] } };
  const clinical = csvText(header, [okRow, ['P2', 30, 'F', 0, 1, 0], ['P3', 30, 'F', 0, 0, 0]]);

  it('names the clinical line of a sample the VCF lacks (unconsented rows are not required)', async () => {
    const { message, details } = await failure({ 'clinical.csv': clinical, 'genotypes.vcf': vcfText(['P1', 'P9'], [{ id: 'rs1', gts: ['0/1', '1/1'] }]) }, genomic);
    expect(message).toBe("clinical.csv line 3: sample 'P2' is not in genotypes.vcf; fix: add its genotypes to the VCF or remove the row");
    expect(details).toEqual({ file: 'clinical.csv', line: 3, column: 'sample_id' });
  });

  it('lists the first 10 missing variants and the count of the rest', async () => {
    const variants = Array.from({ length: 13 }, (_, i) => `rs${i}`);
    const vcf = vcfText(['P1', 'P2'], [{ id: 'rs0', gts: ['0/1', '1/1'] }]);
    const { message } = await failure({ 'clinical.csv': clinical, 'genotypes.vcf': vcf }, { ...schema, genomic: { variants } });
    expect(message).toMatch(/^genotypes\.vcf: 12 task variants are not in the file: rs1, rs2, rs3, rs4, rs5, rs6, rs7, rs8, rs9, rs10 and 2 more; fix:/);
  });

  it('requires the VCF when the task has variants', async () => {
    const { message } = await failure({ 'clinical.csv': clinical }, genomic);
    expect(message).toMatch(/^genotypes\.vcf: not found in the site's data folder, and the task uses genomic variants/);
  });
});

describe('configuration errors', () => {
  const files = { 'clinical.csv': csvText(header, [okRow]) };
  it.each([
    [{ mapping: { columns: { agee: 'age' } } }, "site mapping: maps task column 'agee', which the task does not have; task columns: sample_id, cad, age, sex, smoker, consent"],
    [{ mapping: { colums: {} } }, "site mapping: unknown key 'colums'"],
    [{ mapping: { columns: { sex: { from: 'gender', values: { '1': 'Male' } } } } }, "site mapping: columns.sex.values maps '1' to 'Male', which is invalid for the task: expected one of M, F"],
    [{ mapping: { columns: { cad: { from: 'dx', values: { y: 'maybe' } } } } }, "columns.cad.values maps 'y' to 'maybe'"],
    [{ seed: 1.5 }, 'load options: seed must be an integer, got 1.5'],
    [{ validationFraction: 1 }, 'load options: validationFraction must be in (0, 1), got 1'],
  ])('rejects %j', async (options, message) => {
    const result = await failure(files, schema, options as LoadOptions, 'CONFIG_INVALID');
    expect(result.message).toContain(message);
  });

  it('rejects a nonsense schema as TASK_INVALID before reading data', async () => {
    const bad = { ...schema, clinical: [{ name: 'cad', type: 'boolean' }] } as DataSchema;
    const result = await failure(files, bad, undefined, 'TASK_INVALID');
    expect(result.message).toContain("the label 'cad' is listed as a feature");
  });
});
