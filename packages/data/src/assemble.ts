/**
 * Writes the final feature matrices: each split's Float32Array is allocated
 * once, at its exact size, and filled row by row from the compact clinical
 * block and the per-variant Uint8Array dosages.
 */
import type { ClinicalTable } from './clinical-reader.js';
import type { EncodedSplit } from './dataset.js';
import { MISSING_CALL } from './genotype-scan.js';

export interface GenotypeColumns {
  /** Per task variant: dosages by clinical row, or undefined when the whole variant is imputed. */
  columns: (Uint8Array | undefined)[];
  /** Dosage for an imputed variant. */
  variantValue: number;
  /** Dosage for a missing call under an impute policy. */
  callValue: number;
}

/**
 * `side[r]` is 0 (train), 1 (validation) or 2 (not used) for clinical row r.
 * Returns [train, validation].
 */
export function assembleSplits(table: ClinicalTable, genotypes: GenotypeColumns, side: Uint8Array, featureCount: number): [EncodedSplit, EncodedSplit] {
  let validationCount = 0;
  let trainCount = 0;
  for (const s of side) {
    if (s === 0) trainCount++;
    else if (s === 1) validationCount++;
  }
  const groupNames = Object.keys(table.groups);
  const make = (n: number): EncodedSplit => ({
    x: new Float32Array(n * featureCount),
    y: new Float32Array(n),
    n,
    groups: Object.fromEntries(groupNames.map((g) => [g, [] as string[]])),
  });
  const train = make(trainCount);
  const validation = make(validationCount);
  const width = table.width;
  const { columns, variantValue, callValue } = genotypes;
  const cursor = [0, 0];
  for (let r = 0; r < side.length; r++) {
    const s = side[r];
    if (s !== 0 && s !== 1) continue;
    const split = s === 0 ? train : validation;
    const row = cursor[s] ?? 0;
    cursor[s] = row + 1;
    const base = row * featureCount;
    split.x.set(table.clinical.subarray(r * width, (r + 1) * width), base);
    for (let j = 0; j < columns.length; j++) {
      const column = columns[j];
      const d = column === undefined ? variantValue : (column[r] ?? MISSING_CALL);
      split.x[base + width + j] = d === MISSING_CALL ? callValue : d;
    }
    split.y[row] = table.labels[r] ?? 0;
    for (const g of groupNames) split.groups[g]?.push(table.groups[g]?.[r] ?? '');
  }
  return [train, validation];
}
