import { afterAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isCohortError } from '@cohortfl/wire';
import { MISSING_CALL, readVcfDosages } from './index.js';
import { removeSiteDirs, siteDir, vcfText } from './site-dir.test-suite.js';

const fixtures = fileURLToPath(new URL('../test-fixtures/vcf/', import.meta.url));
afterAll(removeSiteDirs);

async function dataErrorOf(run: Promise<unknown>): Promise<{ message: string; details: Record<string, unknown> | undefined }> {
  try {
    await run;
  } catch (e) {
    if (isCohortError(e, 'DATA_INVALID')) return { message: e.message, details: e.details };
    throw e;
  }
  throw new Error('expected DATA_INVALID');
}

const sum = (a: Uint8Array | undefined): number => (a ?? new Uint8Array(0)).reduce((s, v) => s + v, 0);

describe('readVcfDosages on real files', () => {
  it('1000genomes.vcf (haploid chrY, 1233 samples): ALT counts equal INFO AC', async () => {
    const r = await readVcfDosages(join(fixtures, '1000genomes.vcf'), ['rs11575897', 'Y:2655471:A:C']);
    expect(r.vcfSamples).toHaveLength(1233);
    expect(r.samples[0]).toBe('HG00096');
    expect(r.missingVariants).toEqual([]);
    for (const key of ['rs11575897', 'Y:2655471:A:C']) {
      const ac = r.records.get(key)?.info.AC as number[];
      expect(sum(r.dosages.get(key))).toBe(ac[0]);
    }
    expect(sum(r.dosages.get('rs11575897'))).toBe(22);
    expect(sum(r.dosages.get('Y:2655471:A:C'))).toBe(5);
    expect(r.records.get('Y:2655471:A:C')).toMatchObject({ chrom: 'Y', pos: 2655471, ids: [], ref: 'A', alt: ['C'], line: 42 });
  });

  it('reads only the requested samples, in the requested order', async () => {
    const all = await readVcfDosages(join(fixtures, '1000genomes.vcf'), ['rs11575897']);
    const d = all.dosages.get('rs11575897') ?? new Uint8Array();
    const carrier = all.vcfSamples[d.indexOf(1)] ?? '';
    const some = await readVcfDosages(join(fixtures, '1000genomes.vcf'), ['rs11575897'], ['HG00096', carrier]);
    expect([...(some.dosages.get('rs11575897') ?? [])]).toEqual([0, 1]);
  });

  it('vcf4.3 spec snippet: phased and unphased diploid calls with extra FORMAT fields', async () => {
    const r = await readVcfDosages(join(fixtures, 'vcf4.3_spec_snippet.vcf'), ['rs6054257', '20:17330:T:A', '20:1230237:T:.']);
    expect([...(r.dosages.get('rs6054257') ?? [])]).toEqual([0, 1, 2]);
    expect([...(r.dosages.get('20:17330:T:A') ?? [])]).toEqual([0, 1, 0]);
    expect([...(r.dosages.get('20:1230237:T:.') ?? [])]).toEqual([0, 0, 0]);
  });

  it('vcf4.3 spec snippet: the multi-allelic record 3 fails when requested', async () => {
    const { message } = await dataErrorOf(readVcfDosages(join(fixtures, 'vcf4.3_spec_snippet.vcf'), ['rs6040355']));
    expect(message).toBe(
      'vcf4.3_spec_snippet.vcf line 22: variant rs6040355 is multi-allelic (ALT G,T); the task needs one ALT allele per record: split multi-allelic sites first, e.g. `bcftools norm -m-`',
    );
  });

  it('CNVtest.vcf.gz (BGZF, no samples, 8-column records) streams through gunzip', async () => {
    const r = await readVcfDosages(join(fixtures, 'CNVtest.vcf.gz'), ['SI_BD_17525', 'YL_CN_STU_4360', 'absent']);
    expect(r.recordsRead).toBe(5);
    expect(r.records.get('SI_BD_17525')).toMatchObject({ chrom: '22', pos: 16533236, alt: ['<CN0>'] });
    expect(r.records.get('YL_CN_STU_4360')?.info.AC).toEqual([2]);
    expect(r.missingVariants).toEqual(['absent']);
  });
});

describe('readVcfDosages on bad files', () => {
  const samples = ['S1', 'S2', 'S3'];
  const good = vcfText(samples, [
    { id: 'rs1', gts: ['0/0', '0/1', '1/1'] },
    { id: 'rs2', gts: ['0|1', './.', '1|0'] },
    { id: 'rs3', gts: ['0/0', '0/0', '0/0'] },
  ]);

  it('marks missing calls, or names line, variant and sample when they are errors', async () => {
    const dir = await siteDir({ 'g.vcf': good });
    const r = await readVcfDosages(join(dir, 'g.vcf'), ['rs2']);
    expect([...(r.dosages.get('rs2') ?? [])]).toEqual([1, MISSING_CALL, 1]);
    const { message, details } = await dataErrorOf(readVcfDosages(join(dir, 'g.vcf'), ['rs2'], undefined, { missingCalls: 'error' }));
    expect(message).toMatch(/^g\.vcf line 6: variant rs2, sample 'S2' has a missing call '\.\/\.'/);
    expect(details).toEqual({ file: 'g.vcf', line: 6, column: 'S2' });
  });

  it.each([
    ['0/x', "g.vcf line 5: variant rs1, sample 'S2' has GT '0/x', expected a biallelic call"],
    ['2/3', "g.vcf line 5: variant rs1, sample 'S2' has GT '2/3', expected a biallelic call"],
  ])('rejects the malformed GT %s naming file, line, variant and sample', async (bad, start) => {
    const dir = await siteDir({ 'g.vcf': vcfText(samples, [{ id: 'rs1', gts: ['0/0', bad, '1/1'] }]) });
    const { message } = await dataErrorOf(readVcfDosages(join(dir, 'g.vcf'), ['rs1']));
    expect(message.startsWith(start)).toBe(true);
  });

  it('detects a truncated record (fewer columns than the header)', async () => {
    // Line 6 (rs2) loses its last sample column; rs3 follows intact.
    const dir = await siteDir({ 'g.vcf': good.replace('./.\t1|0\n', './.\n') });
    const { message } = await dataErrorOf(readVcfDosages(join(dir, 'g.vcf'), ['rs2']));
    expect(message).toBe(
      "g.vcf line 6: record rs2 has 11 columns but the #CHROM header line has 12; the file looks truncated (cut mid-line): copy or export it again, and check a .gz with 'gzip -t'",
    );
  });

  it('detects an unterminated last line with too few fields even when no variant on it is wanted', async () => {
    const dir = await siteDir({ 'g.vcf': good.slice(0, good.lastIndexOf('\t0/0\t0/0')) });
    const { message } = await dataErrorOf(readVcfDosages(join(dir, 'g.vcf'), ['rs1']));
    expect(message).toMatch(/^g\.vcf line 7: record rs3 has 10 columns but the #CHROM header line has 12; the file looks truncated/);
  });

  it('detects a record cut before its INFO column', async () => {
    const dir = await siteDir({ 'g.vcf': `${good}1\t5000\trs9\tA` });
    const { message } = await dataErrorOf(readVcfDosages(join(dir, 'g.vcf'), ['rs1']));
    expect(message).toMatch(/^g\.vcf line 8: record has 4 columns but a VCF record needs at least 8/);
  });

  it('reports a truncated gzip stream with the line reached and the fix', async () => {
    const gz = gzipSync(vcfText(samples, Array.from({ length: 400 }, (_, i) => ({ id: `rs${i}`, gts: ['0/0', '0/1', '1/1'] }))));
    const dir = await siteDir({ 'g.vcf.gz': gz.subarray(0, gz.length - 40) });
    const { message } = await dataErrorOf(readVcfDosages(join(dir, 'g.vcf.gz'), ['rs1']));
    expect(message).toMatch(/^g\.vcf\.gz line \d+: the gzip data ends or breaks after line \d+ \(unexpected end of file\); the file is truncated or corrupt: .*gzip -t/);
  });

  it('lists requested samples missing from the header', async () => {
    const dir = await siteDir({ 'g.vcf': good });
    const { message } = await dataErrorOf(readVcfDosages(join(dir, 'g.vcf'), ['rs1'], ['S1', 'X1', 'X2']));
    expect(message).toBe('g.vcf line 4: 2 requested sample(s) are not in the #CHROM line: X1, X2; fix: add them to the VCF');
  });

  it('rejects a variant present twice and a sample named twice', async () => {
    const twice = await siteDir({ 'g.vcf': vcfText(samples, [{ id: 'rs1', gts: ['0/0', '0/1', '1/1'] }, { id: 'rs1', gts: ['0/0', '0/1', '1/1'] }]) });
    expect((await dataErrorOf(readVcfDosages(join(twice, 'g.vcf'), ['rs1']))).message).toMatch(/^g\.vcf line 6: variant rs1 appears again \(first on line 5\)/);
    const dupSample = await siteDir({ 'g.vcf': vcfText(['S1', 'S1'], [{ id: 'rs1', gts: ['0/0', '0/1'] }]) });
    expect((await dataErrorOf(readVcfDosages(join(dupSample, 'g.vcf'), ['rs1']))).message).toMatch(/sample 'S1' appears twice in the #CHROM line/);
  });

  it('rejects a file without a #CHROM line and a record with no GT', async () => {
    const noHeader = await siteDir({ 'g.vcf': '##fileformat=VCFv4.2\n1\t100\trs1\tA\tG\t.\t.\t.\n' });
    expect((await dataErrorOf(readVcfDosages(join(noHeader, 'g.vcf'), ['rs1']))).message).toMatch(/^g\.vcf line 2: expected '##' meta lines and then the '#CHROM' header line/);
    const noGt = await siteDir({ 'g.vcf': vcfText(['S1'], [{ id: 'rs1', format: 'DP', gts: ['12'] }]) });
    expect((await dataErrorOf(readVcfDosages(join(noGt, 'g.vcf'), ['rs1']))).message).toMatch(/variant rs1 has no GT in its FORMAT column/);
  });
});
