/** DATA_INVALID messages for a bad VCF record: file, line, variant, sample and the fix. */
import type { CohortError } from '@cohortfl/wire';
import { dataError } from './data-error.js';
import type { ScanFailure } from './genotype-scan.js';

export interface RecordContext {
  file: string;
  line: number;
  /** The task's key for the record (ID or CHROM:POS:REF:ALT). */
  variant: string;
  /** Columns of the #CHROM line. */
  headerColumns: number;
}

export function describeFailure(ctx: RecordContext, f: ScanFailure, samples: readonly string[]): CohortError {
  const where = { file: ctx.file, line: ctx.line };
  if (f.kind === 'columns') {
    const fewer = f.columns < ctx.headerColumns;
    return dataError(
      where,
      `record ${ctx.variant} has ${f.columns} columns but the #CHROM header line has ${ctx.headerColumns}; ` +
        (fewer
          ? "the file looks truncated (cut mid-line): copy or export it again, and check a .gz with 'gzip -t'"
          : 'fix: remove the extra columns (a stray tab?) or re-export the file'),
    );
  }
  const sample = samples[f.sample] ?? `#${f.sample + 1}`;
  if (f.kind === 'missing') {
    return dataError(
      { ...where, column: sample },
      `variant ${ctx.variant}, sample '${sample}' has a missing call '${f.text}' and the task does not allow missing calls; ` +
        'fix: impute or re-call the genotype, or remove the sample from the clinical file',
    );
  }
  return dataError(
    { ...where, column: sample },
    `variant ${ctx.variant}, sample '${sample}' has GT '${f.text}', expected a biallelic call such as 0/0, 0/1, 1|1, 1 or ./.; ` +
      'fix: correct the genotype, and split multi-allelic sites first, e.g. `bcftools norm -m-`',
  );
}
