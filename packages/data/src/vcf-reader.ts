/**
 * Streaming VCF reader: keeps only the records a task wants and, for those, the
 * ALT dosage of the requested samples, one Uint8Array per variant. Memory is
 * the dosages plus one line; the file itself is never held.
 */
import { basename } from 'node:path';
import VCF from '@gmod/vcf';
import { isCohortError } from '@cohortfl/wire';
import { dataError, listSome } from './data-error.js';
import { MISSING_CALL, scanGenotypes } from './genotype-scan.js';
import { isGzipError, openTextLines } from './text-lines.js';
import { describeFailure, type RecordContext } from './vcf-errors.js';

export interface VcfRecordInfo {
  line: number;
  chrom: string;
  pos: number;
  ids: string[];
  ref: string;
  alt: string[];
  /** INFO as typed by @gmod/vcf from the header (e.g. `AC: [22]`). */
  info: Record<string, unknown>;
}

export interface ReadVcfOptions {
  /** `mark` (default) stores MISSING_CALL for `./.`; `error` throws DATA_INVALID naming line, variant and sample. */
  missingCalls?: 'mark' | 'error';
  /** Builds the error for requested samples absent from the VCF header (default: a DATA_INVALID listing them). */
  missingSamplesError?: (missing: string[], file: string) => Error;
}

export interface VcfDosages {
  file: string;
  /** Sample names of the #CHROM line, in column order. */
  vcfSamples: string[];
  /** Requested samples: index i of every dosage array is samples[i]. */
  samples: string[];
  /** Requested variant key → ALT dosage per sample (0, 1, 2 or MISSING_CALL). */
  dosages: Map<string, Uint8Array>;
  records: Map<string, VcfRecordInfo>;
  /** Requested keys that no record matched. */
  missingVariants: string[];
  /** Data records read, wanted or not. */
  recordsRead: number;
}

const GZIP_FIX = "copy or download the file again, and check it with 'gzip -t' (or 'bgzip -t')";

function positionalKey(line: string, t: Int32Array): string {
  // CHROM:POS:REF:ALT, built only when the task addresses variants by position.
  return `${line.slice(0, t[0])}:${line.slice((t[0] ?? 0) + 1, t[1])}:${line.slice((t[2] ?? 0) + 1, t[3])}:${line.slice((t[3] ?? 0) + 1, t[4])}`;
}

/**
 * Reads ALT dosages of `variantKeys` (VCF IDs, or `CHROM:POS:REF:ALT` for
 * records whose ID is '.') for `samples` (default: all VCF samples).
 */
export async function readVcfDosages(
  path: string,
  variantKeys: readonly string[],
  samples?: readonly string[],
  options: ReadVcfOptions = {},
): Promise<VcfDosages> {
  const file = basename(path);
  const wanted = new Set(variantKeys);
  const byPosition = [...wanted].some((k) => k.includes(':'));
  const missingIsError = options.missingCalls === 'error';
  const result: VcfDosages = { file, vcfSamples: [], samples: [], dosages: new Map(), records: new Map(), missingVariants: [], recordsRead: 0 };
  const tabs = new Int32Array(9);
  const header: string[] = [];
  let parser: VCF | undefined;
  let sampleRow: Int32Array = new Int32Array(0);
  let headerColumns = 8;
  let lineNo = 0;
  let last: { text: string; line: number } | undefined;
  const source = await openTextLines(path);
  try {
    for await (const line of source.lines) {
      lineNo++;
      if (parser === undefined) {
        if (line.startsWith('##') || line === '') {
          header.push(line);
          continue;
        }
        if (!line.startsWith('#CHROM')) {
          throw dataError({ file, line: lineNo }, "expected '##' meta lines and then the '#CHROM' header line before any record; fix: restore the VCF header");
        }
        header.push(line);
        try {
          parser = new VCF({ header: header.join('\n') });
        } catch (e) {
          throw dataError({ file, line: lineNo }, `the VCF header is invalid (${(e as Error).message.split('\n')[0]}); fix: repair the header, e.g. 'bcftools view -h'`, e);
        }
        headerColumns = line.split('\t').length;
        result.vcfSamples = parser.samples;
        result.samples = samples === undefined ? [...parser.samples] : [...samples];
        sampleRow = mapSamples(parser.samples, result.samples, file, lineNo, options);
        continue;
      }
      if (line === '' || line.charCodeAt(0) === 35) continue;
      result.recordsRead++;
      let found = 0;
      for (let i = 0, at = -1; i < 9; i++) {
        at = line.indexOf('\t', at + 1);
        if (at === -1) break;
        tabs[i] = at;
        found++;
      }
      if (found < 7) {
        throw dataError({ file, line: lineNo }, `record has ${found + 1} columns but a VCF record needs at least 8 (the header has ${headerColumns}); the file looks truncated or damaged: ${GZIP_FIX}`);
      }
      const idField = line.slice((tabs[1] ?? 0) + 1, tabs[2]);
      const keys: string[] = [];
      if (idField !== '.') for (const id of idField.split(';')) if (wanted.has(id)) keys.push(id);
      if (byPosition) {
        const key = positionalKey(line, tabs);
        if (wanted.has(key) && !keys.includes(key)) keys.push(key);
      }
      if (keys.length === 0) {
        last = { text: line, line: lineNo };
        continue;
      }
      last = undefined;
      const ctx: RecordContext = { file, line: lineNo, variant: keys[0] ?? '', headerColumns };
      const record = readRecord(parser, line, ctx, keys, result);
      const out = new Uint8Array(result.samples.length);
      const nVcf = parser.samples.length;
      if (nVcf > 0 && result.samples.length > 0) {
        if (found < 9) throw describeFailure(ctx, { kind: 'columns', sample: 0, text: '', columns: found + 1 }, parser.samples);
        const gtIndex = (line.slice((tabs[7] ?? 0) + 1, tabs[8]) || '').split(':').indexOf('GT');
        if (gtIndex < 0) throw dataError({ file, line: lineNo }, `variant ${ctx.variant} has no GT in its FORMAT column; fix: export genotype calls (GT) for this site`);
        const failure = scanGenotypes(line, (tabs[8] ?? 0) + 1, nVcf, sampleRow, gtIndex, record.alt.length, out, missingIsError);
        if (failure) throw describeFailure(ctx, failure, parser.samples);
      } else {
        checkColumnCount(line, ctx, nVcf);
      }
      for (const key of keys) {
        result.dosages.set(key, out);
        result.records.set(key, record);
      }
    }
  } catch (e) {
    if (isGzipError(e)) {
      throw dataError({ file, line: lineNo + 1 }, `the gzip data ends or breaks after line ${lineNo} (${e.message}); the file is truncated or corrupt: ${GZIP_FIX}`, e);
    }
    throw e;
  } finally {
    source.close();
  }
  if (parser === undefined) throw dataError({ file }, "no '#CHROM' header line found; fix: this is not a VCF file, or its header is missing");
  // A file cut mid-record most often shows in its last line; wanted records were checked already.
  if (last) checkColumnCount(last.text, { file, line: last.line, variant: last.text.split('\t', 3)[2] ?? '.', headerColumns }, parser.samples.length);
  result.missingVariants = [...wanted].filter((k) => !result.dosages.has(k));
  return result;
}

function mapSamples(vcfSamples: string[], requested: string[], file: string, line: number, options: ReadVcfOptions): Int32Array {
  const column = new Map<string, number>();
  vcfSamples.forEach((name, i) => {
    if (column.has(name)) throw dataError({ file, line }, `sample '${name}' appears twice in the #CHROM line; fix: rename one (e.g. 'bcftools reheader')`);
    column.set(name, i);
  });
  const rows = new Int32Array(vcfSamples.length).fill(-1);
  const missing: string[] = [];
  requested.forEach((name, i) => {
    const c = column.get(name);
    if (c === undefined) missing.push(name);
    else rows[c] = i;
  });
  if (missing.length > 0) {
    throw options.missingSamplesError?.(missing, file) ??
      dataError({ file, line }, `${missing.length} requested sample(s) are not in the #CHROM line: ${listSome(missing)}; fix: add them to the VCF`);
  }
  return rows;
}

function readRecord(parser: VCF, line: string, ctx: RecordContext, keys: string[], result: VcfDosages): VcfRecordInfo {
  for (const key of keys) {
    const seen = result.records.get(key);
    if (seen) throw dataError(ctx, `variant ${key} appears again (first on line ${seen.line}); fix: remove duplicate records, e.g. 'bcftools norm -d exact'`);
  }
  let v;
  try {
    v = parser.parseLine(line);
  } catch (e) {
    throw dataError(ctx, `variant ${ctx.variant} cannot be parsed (${(e as Error).message}); fix: repair the record`, e);
  }
  if (!Number.isInteger(v.POS) || v.POS < 1) throw dataError(ctx, `variant ${ctx.variant} has POS '${line.split('\t', 2)[1]}', expected a positive integer; fix: repair the record`);
  const alt = v.ALT ?? [];
  if (alt.length > 1) {
    throw dataError(ctx, `variant ${ctx.variant} is multi-allelic (ALT ${alt.join(',')}); the task needs one ALT allele per record: split multi-allelic sites first, e.g. \`bcftools norm -m-\``);
  }
  return { line: ctx.line, chrom: v.CHROM ?? '', pos: v.POS, ids: v.ID ?? [], ref: v.REF ?? '', alt, info: v.INFO };
}

/** Records of a sample-less VCF may stop after INFO (8 columns) or carry an empty FORMAT (9). */
function checkColumnCount(line: string, ctx: RecordContext, nVcf: number): void {
  let columns = 1;
  for (let t = line.indexOf('\t'); t !== -1; t = line.indexOf('\t', t + 1)) columns++;
  const ok = nVcf === 0 ? columns === 8 || columns === 9 : columns === ctx.headerColumns;
  if (!ok) throw describeFailure(ctx, { kind: 'columns', sample: 0, text: '', columns }, []);
}

export { MISSING_CALL };
