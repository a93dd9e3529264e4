import type { LoadSummary } from './dataset.js';
import { listSome } from './data-error.js';

const pct = (part: number, whole: number): string => (whole === 0 ? '0%' : `${((100 * part) / whole).toFixed(1)}%`);

/** A few lines for a CLI: what was read, what was left out and why, and the split. */
export function summarizeLoad(s: LoadSummary): string {
  const lines = [
    `${s.clinicalFile}: ${s.rowsRead} rows read, ${s.unconsented} without consent (never used), ` +
      `${s.droppedMissing} dropped for missing values, ${s.imputed} values imputed`,
  ];
  if (s.genotypesFile !== null) {
    const total = s.variantsFound + s.variantsImputed.length;
    const imputed = s.variantsImputed.length > 0 ? `, ${s.variantsImputed.length} imputed (${listSome(s.variantsImputed, 5)})` : '';
    lines.push(
      `${s.genotypesFile}: ${s.variantsFound}/${total} task variants found${imputed}, ` +
        `${s.vcfSamplesWithoutClinical} VCF samples without a clinical row (ignored)`,
    );
  }
  lines.push(`used ${s.used} records: ${s.train} train, ${s.validation} validation; ${s.positives} positive (${pct(s.positives, s.used)})`);
  return lines.join('\n');
}
