/**
 * The hot loop of genotype loading: one pass over a record's sample columns,
 * parsing the GT of the samples the site uses straight into a Uint8Array.
 *
 * Why not @gmod/vcf's per-sample API: `SAMPLES()`/`GENOTYPES()` build an object
 * or string per sample (50M for a 10k × 5k site), and `processGenotypes()`
 * visits every sample through a callback without reporting a short or long
 * line. Here, samples with no clinical row are skipped with one `indexOf` (a
 * vectorised memchr in V8), nothing is allocated per sample, and a record with
 * too few or too many columns (a truncated file) is detected in the same pass.
 * @gmod/vcf still parses the header and the fixed columns of each used record.
 */

/** Dosage stored for a missing call (`./.`, `.`). */
export const MISSING_CALL = 255;
const MALFORMED = -1;

const TAB = 9;
const COLON = 58;
const DOT = 46;
const SLASH = 47;
const PIPE = 124;
const ZERO = 48;
const NINE = 57;

/**
 * ALT dosage of the GT starting at `s` (ending at ':', or `e`): the number of
 * alleles equal to 1. MISSING_CALL if any allele is '.'; MALFORMED for text
 * that is not a haploid or diploid call or names an allele above `nAlt`.
 */
export function parseGt(line: string, s: number, e: number, nAlt: number): number {
  let p = s;
  let dosage = 0;
  let alleles = 0;
  let missing = false;
  for (;;) {
    if (p >= e) return MALFORMED;
    let c = line.charCodeAt(p);
    if (c === DOT) {
      missing = true;
      p++;
    } else if (c >= ZERO && c <= NINE) {
      let allele = 0;
      do {
        allele = allele * 10 + c - ZERO;
        p++;
        c = p < e ? line.charCodeAt(p) : COLON;
      } while (c >= ZERO && c <= NINE && allele <= nAlt);
      if (allele > nAlt) return MALFORMED;
      if (allele === 1) dosage++;
    } else {
      return MALFORMED;
    }
    alleles++;
    if (p >= e) break;
    const sep = line.charCodeAt(p);
    if (sep === COLON || sep === TAB) break;
    if (sep !== SLASH && sep !== PIPE) return MALFORMED;
    p++;
  }
  if (alleles > 2) return MALFORMED;
  return missing ? MISSING_CALL : dosage;
}

export interface ScanFailure {
  /** `columns`: the record has `columns` columns, not the header's; `gt`: malformed; `missing`: a missing call. */
  kind: 'columns' | 'gt' | 'missing';
  /** Index of the sample column (header order). */
  sample: number;
  /** The GT text as written (for `gt`/`missing`). */
  text: string;
  columns: number;
}

/**
 * Scans `nSamples` sample columns starting at `from`. `sampleRow[c]` is the
 * output index of sample column c, or -1 to skip it. Returns null on success.
 */
export function scanGenotypes(
  line: string,
  from: number,
  nSamples: number,
  sampleRow: Int32Array,
  gtIndex: number,
  nAlt: number,
  out: Uint8Array,
  missingIsError: boolean,
): ScanFailure | null {
  const end = line.length;
  let pos = from;
  for (let c = 0; c < nSamples; c++) {
    if (pos > end) return { kind: 'columns', sample: c, text: '', columns: 9 + c };
    let tab = line.indexOf('\t', pos);
    if (tab === -1) tab = end;
    const row = sampleRow[c] ?? -1;
    if (row >= 0) {
      let s = pos;
      for (let k = 0; k < gtIndex && s < tab; k++) {
        const colon = line.indexOf(':', s);
        s = colon === -1 || colon >= tab ? tab : colon + 1;
      }
      // A sample whose trailing FORMAT fields are dropped before GT has no call.
      const d = gtIndex > 0 && s >= tab ? MISSING_CALL : parseGt(line, s, tab, nAlt);
      if (d === MALFORMED || (d === MISSING_CALL && missingIsError)) {
        const colon = line.indexOf(':', s);
        const text = line.slice(s, colon === -1 || colon > tab ? tab : colon);
        return { kind: d === MALFORMED ? 'gt' : 'missing', sample: c, text, columns: 0 };
      }
      out[row] = d;
    }
    pos = tab + 1;
  }
  if (pos <= end) {
    let columns = 9 + nSamples + 1;
    for (let t = line.indexOf('\t', pos); t !== -1; t = line.indexOf('\t', t + 1)) columns++;
    return { kind: 'columns', sample: nSamples, text: '', columns };
  }
  return null;
}
