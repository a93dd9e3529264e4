import { afterAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { loadSiteData, summarizeLoad, type DataSchema, type SiteDataset } from './index.js';
import { csvText, removeSiteDirs, siteDir, vcfText } from './site-dir.test-suite.js';

afterAll(removeSiteDirs);

export const schema: DataSchema = {
  label: { name: 'cad' },
  clinical: [
    { name: 'age', type: 'number', range: [20, 80] },
    { name: 'sex', type: 'category', values: ['M', 'F'] },
    { name: 'smoker', type: 'boolean' },
  ],
  genomic: { variants: ['rs1', 'rs2'] },
  subgroups: ['sex'],
  consent: 'consent',
};

const header = ['sample_id', 'age', 'sex', 'smoker', 'consent', 'cad'];
const rows = [
  ['P1', 20, 'M', 'yes', 1, 1],
  ['P2', 80, 'F', 'no', 'yes', 0],
  ['P3', 50, 'F', 1, 'Y', 1],
  ['P4', 35, 'M', 0, 'no', 0],
  ['P5', 65, 'M', 'TRUE', 'true', 0],
  ['P6', 'unknown', 'M', 1, 0, 1],
];
const vcf = vcfText(['P5', 'P1', 'X9', 'P2', 'P3', 'P4'], [
  { id: 'rs1', gts: ['1/1', '0/0', '0/1', '0|1', '1|0', '1/1'] },
  { id: 'rsX', gts: ['0/0', '0/0', '0/0', '0/0', '0/0', '0/0'] },
  { id: 'rs2', gts: ['0/1', '1/1', '0/0', '0/0', '1/1', '0/0'] },
]);

/** All used records of both splits as plain rows, sorted by the first feature. */
function records(ds: SiteDataset): { x: number[]; y: number; sex: string | undefined }[] {
  const out = [];
  for (const split of [ds.train, ds.validation]) {
    for (let i = 0; i < split.n; i++) {
      out.push({ x: [...split.x.subarray(i * ds.featureCount, (i + 1) * ds.featureCount)], y: split.y[i] ?? -1, sex: split.groups.sex?.[i] });
    }
  }
  return out.sort((a, b) => (a.x[0] ?? 0) - (b.x[0] ?? 0));
}

describe('loadSiteData', () => {
  it('joins clinical rows and genotypes, encodes them and never uses unconsented rows', async () => {
    const dir = await siteDir({ 'clinical.csv': csvText(header, rows), 'genotypes.vcf': vcf });
    const ds = await loadSiteData(dir, schema);
    expect(ds.featureNames).toEqual(['age', 'sex=M', 'sex=F', 'smoker', 'rs1', 'rs2']);
    expect(ds.featureCount).toBe(6);
    expect(records(ds)).toEqual([
      { x: [0, 1, 0, 1, 0, 2], y: 1, sex: 'M' }, // P1
      { x: [0.5, 0, 1, 1, 1, 2], y: 1, sex: 'F' }, // P3
      { x: [0.75, 1, 0, 1, 2, 1], y: 0, sex: 'M' }, // P5
      { x: [1, 0, 1, 0, 1, 0], y: 0, sex: 'F' }, // P2
    ]);
    expect(ds.summary).toEqual({
      clinicalFile: 'clinical.csv',
      genotypesFile: 'genotypes.vcf',
      rowsRead: 6,
      unconsented: 2,
      droppedMissing: 0,
      imputed: 0,
      used: 4,
      train: ds.train.n,
      validation: ds.validation.n,
      positives: 2,
      variantsFound: 2,
      variantsImputed: [],
      vcfSamplesWithoutClinical: 1,
    });
    expect(ds.train.n).toBeGreaterThanOrEqual(1);
    expect(ds.validation.n).toBeGreaterThanOrEqual(1);
  });

  it('applies a site mapping that renames columns and recodes values', async () => {
    const local = csvText(
      ['patient', 'years', 'gender', 'smoking_status', 'research_consent', 'dx'],
      [
        ['P1', 20, '1', 'current', 'Y', 'yes'],
        ['P2', 80, '2', 'never', 'Y', 'no'],
        ['P3', 50, '2', 'current', 'N', 'yes'],
      ],
    );
    const dir = await siteDir({ 'clinical.csv': local, 'genotypes.vcf': vcf });
    const ds = await loadSiteData(dir, schema, {
      mapping: {
        columns: {
          sample_id: 'patient',
          age: 'years',
          sex: { from: 'gender', values: { '1': 'M', '2': 'F' } },
          smoker: { from: 'smoking_status', values: { never: 0, current: 1 } },
          consent: { from: 'research_consent', values: { N: 0, Y: 1 } },
          cad: 'dx',
        },
      },
    });
    expect(records(ds)).toEqual([
      { x: [0, 1, 0, 1, 0, 2], y: 1, sex: 'M' },
      { x: [1, 0, 1, 0, 1, 0], y: 0, sex: 'F' },
    ]);
    expect(ds.summary.unconsented).toBe(1);
  });

  it('reads a TSV clinical file and a gzipped VCF', async () => {
    const dir = await siteDir({ 'clinical.tsv': csvText(header, rows, '\t'), 'genotypes.vcf.gz': gzipSync(vcf) });
    const ds = await loadSiteData(dir, schema);
    expect(ds.summary).toMatchObject({ clinicalFile: 'clinical.tsv', genotypesFile: 'genotypes.vcf.gz', used: 4 });
    expect(records(ds)[0]?.x).toEqual([0, 1, 0, 1, 0, 2]);
  });

  it('reads CRLF line endings with a byte-order mark', async () => {
    const dir = await siteDir({ 'clinical.csv': `\uFEFF${csvText(header, rows).replaceAll('\n', '\r\n')}`, 'genotypes.vcf': vcf.replaceAll('\n', '\r\n') });
    const ds = await loadSiteData(dir, schema);
    expect(records(ds)[0]?.x).toEqual([0, 1, 0, 1, 0, 2]);
    expect(ds.summary.used).toBe(4);
  });

  it('needs no VCF for a clinical-only task, and only ID and label for a genomic-only one', async () => {
    const clinicalOnly: DataSchema = { ...schema, genomic: undefined };
    const dir = await siteDir({ 'clinical.csv': csvText(header, rows) });
    const ds = await loadSiteData(dir, clinicalOnly);
    expect(ds.featureCount).toBe(4);
    expect(ds.summary).toMatchObject({ genotypesFile: null, used: 4, variantsFound: 0 });

    const genomicOnly: DataSchema = { label: { name: 'cad' }, clinical: [], genomic: { variants: ['rs2'] } };
    const slim = await siteDir({ 'clinical.csv': csvText(['sample_id', 'cad'], [['P1', 1], ['P2', 0]]), 'genotypes.vcf': vcf });
    const g = await loadSiteData(slim, genomicOnly);
    expect(records(g).map((r) => r.x)).toEqual([[0], [2]]);
  });

  it('applies drop and impute policies for missing values (error: see load-errors.test.ts)', async () => {
    const withGaps = csvText(header, [
      ['P1', 'NA', 'M', 1, 1, 1],
      ['P2', 40, '', 0, 1, 0],
      ['P3', 50, 'F', 1, 1, 'N/A'],
      ['P5', 65, 'M', 'null', 1, 0],
      ['P4', 35, 'M', 0, 1, 0],
    ]);
    const dir = await siteDir({ 'clinical.csv': withGaps, 'genotypes.vcf': vcf });
    const dropped = await loadSiteData(dir, schema);
    expect(dropped.summary).toMatchObject({ rowsRead: 5, droppedMissing: 4, used: 1 });
    expect(records(dropped).map((r) => r.x[0])).toEqual([0.25]);
    const imputing: DataSchema = {
      ...schema,
      label: { name: 'cad', missing: { strategy: 'impute', value: 0 } },
      missing: { strategy: 'impute', value: 'M' },
      clinical: [
        { name: 'age', type: 'number', range: [20, 80], missing: { strategy: 'impute', value: 50 } },
        { name: 'sex', type: 'category', values: ['M', 'F'] },
        { name: 'smoker', type: 'boolean', missing: { strategy: 'impute', value: 'no' } },
      ],
    };
    const imputed = await loadSiteData(dir, imputing);
    expect(imputed.summary).toMatchObject({ used: 5, droppedMissing: 0, imputed: 4 });
    expect(records(imputed).map((r) => r.x.slice(0, 4))).toEqual([
      [0.25, 1, 0, 0], // P4: complete
      [Math.fround(1 / 3), 1, 0, 0], // P2: sex imputed 'M'
      [0.5, 1, 0, 1], // P1: age imputed 50
      [0.5, 0, 1, 1], // P3: label imputed 0
      [0.75, 1, 0, 0], // P5: smoker imputed no
    ]);
    expect(records(imputed).find((r) => r.x[0] === 0.5 && r.x[2] === 1)?.y).toBe(0);
  });

  it('drops, imputes or rejects records with a missing genotype call', async () => {
    const dir = await siteDir({ 'clinical.csv': csvText(header, rows), 'genotypes.vcf': vcf.replace('0/1\t1/1\t0/0\t0/0', './.\t1/1\t0/0\t0/0') });
    const dropped = await loadSiteData(dir, schema);
    expect(dropped.summary).toMatchObject({ used: 3, droppedMissing: 1 });
    const imputed = await loadSiteData(dir, { ...schema, genomic: { variants: ['rs1', 'rs2'], missingCall: { strategy: 'impute', value: 1 } } });
    expect(imputed.summary).toMatchObject({ used: 4, imputed: 1 });
    expect(records(imputed).find((r) => r.x[0] === 0.75)?.x[5]).toBe(1);
    await expect(loadSiteData(dir, { ...schema, genomic: { variants: ['rs1', 'rs2'], missingCall: { strategy: 'error' } } })).rejects.toThrow(
      /^genotypes\.vcf line 7: variant rs2, sample 'P5' has a missing call/,
    );
  });

  it('imputes a variant the site lacks when the task allows it', async () => {
    const dir = await siteDir({ 'clinical.csv': csvText(header, rows), 'genotypes.vcf': vcf });
    const ds = await loadSiteData(dir, { ...schema, genomic: { variants: ['rs1', 'rs404', 'rs2'], missingVariant: { strategy: 'impute', value: 0.5 } } });
    expect(ds.summary.variantsImputed).toEqual(['rs404']);
    expect(ds.summary.variantsFound).toBe(2);
    expect(records(ds).every((r) => r.x[5] === 0.5)).toBe(true);
    expect(summarizeLoad(ds.summary)).toContain('genotypes.vcf: 2/3 task variants found, 1 imputed (rs404), 1 VCF samples without a clinical row (ignored)');
  });

  it('splits deterministically by seed, independent of row order', async () => {
    const many = Array.from({ length: 60 }, (_, i) => [`P${i}`, 20 + i / 2, i % 2 ? 'M' : 'F', i % 3 ? 1 : 0, 1, i % 2]);
    const ids = many.map((r) => String(r[0]));
    const genotypes = vcfText(ids, [{ id: 'rs1', gts: ids.map(() => '0/1') }, { id: 'rs2', gts: ids.map(() => '1/1') }]);
    const a = await siteDir({ 'clinical.csv': csvText(header, many), 'genotypes.vcf': genotypes });
    const b = await siteDir({ 'clinical.csv': csvText(header, [...many].reverse()), 'genotypes.vcf': genotypes });
    const ages = (ds: SiteDataset): number[] => Array.from({ length: ds.validation.n }, (_, i) => ds.validation.x[i * ds.featureCount] ?? -1).sort();
    const first = await loadSiteData(a, schema, { seed: 42 });
    expect(first.validation.n + first.train.n).toBe(60);
    expect(ages(await loadSiteData(a, schema, { seed: 42 }))).toEqual(ages(first));
    expect(ages(await loadSiteData(b, schema, { seed: 42 }))).toEqual(ages(first));
    expect(ages(await loadSiteData(a, schema, { seed: 43 }))).not.toEqual(ages(first));
    const half = await loadSiteData(a, schema, { seed: 42, validationFraction: 0.5 });
    expect(half.validation.n).toBeGreaterThan(first.validation.n);
  });

  it('summarizes a load in a few lines', async () => {
    const dir = await siteDir({ 'clinical.csv': csvText(header, rows), 'genotypes.vcf': vcf });
    const text = summarizeLoad((await loadSiteData(dir, schema)).summary);
    expect(text.split('\n')[0]).toBe('clinical.csv: 6 rows read, 2 without consent (never used), 0 dropped for missing values, 0 values imputed');
    expect(text).toMatch(/used 4 records: \d train, \d validation; 2 positive \(50\.0%\)$/);
  });
});
