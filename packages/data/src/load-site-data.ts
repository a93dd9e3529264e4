/**
 * A site's data folder → the task's encoded train/validation matrices:
 * clinical rows (mapped, consent-filtered, missing-value policies applied)
 * joined on sample ID with VCF genotype dosages of the task's variants.
 */
import { readClinical, type ClinicalTable } from './clinical-reader.js';
import { planColumns } from './column-plan.js';
import { assembleSplits, type GenotypeColumns } from './assemble.js';
import { dataError, listSome } from './data-error.js';
import type { LoadOptions, LoadSummary, SiteDataset } from './dataset.js';
import { encodeFeatureNames } from './feature-names.js';
import { MISSING_CALL } from './genotype-scan.js';
import { resolveLoadOptions } from './load-options.js';
import type { DataSchema, GenomicSpec } from './schema.js';
import { locateSiteFiles } from './site-files.js';
import { assignSplit } from './split.js';
import { validateSchema } from './validate-schema.js';
import { readVcfDosages, type VcfDosages } from './vcf-reader.js';

const USED = 0;
const UNUSED = 2;

/** The clinical line of the first sample the VCF lacks: the error names it, as the row is what to fix. */
function samplesNotInVcf(table: ClinicalTable, plan: { local: string }) {
  return (missing: string[], vcfFile: string): Error => {
    const first = missing[0] ?? '';
    const line = table.lines[table.ids.indexOf(first)];
    const others = missing.length > 1 ? ` (${missing.length} clinical samples lack genotypes: ${listSome(missing)})` : '';
    return dataError(
      { file: table.file, line, column: plan.local },
      `sample '${first}' is not in ${vcfFile}${others}; fix: add its genotypes to the VCF or remove the row`,
    );
  };
}

async function readGenotypes(path: string, genomic: GenomicSpec, table: ClinicalTable, idColumn: string): Promise<VcfDosages> {
  const vcf = await readVcfDosages(path, genomic.variants, table.ids, {
    missingCalls: genomic.missingCall?.strategy === 'error' ? 'error' : 'mark',
    missingSamplesError: samplesNotInVcf(table, { local: idColumn }),
  });
  if (vcf.missingVariants.length > 0 && genomic.missingVariant?.strategy !== 'impute') {
    const n = vcf.missingVariants.length;
    throw dataError(
      { file: vcf.file },
      `${n} task variant${n > 1 ? 's are' : ' is'} not in the file: ${listSome(vcf.missingVariants)}; ` +
        "fix: genotype or impute them at the site (IDs must match the VCF ID column, or use CHROM:POS:REF:ALT), or the task may set genomic.missingVariant to { strategy: 'impute', value }",
    );
  }
  return vcf;
}

export async function loadSiteData(dir: string, schema: DataSchema, options: LoadOptions = {}): Promise<SiteDataset> {
  validateSchema(schema);
  const { seed, validationFraction } = resolveLoadOptions(options);
  const plan = planColumns(schema, options.mapping);
  const genomic = schema.genomic && schema.genomic.variants.length > 0 ? schema.genomic : undefined;
  const files = await locateSiteFiles(dir, options.mapping, genomic !== undefined);
  const table = await readClinical(files.clinical, plan);

  const side = new Uint8Array(table.ids.length); // USED until a missing call drops the row
  const genotypes: GenotypeColumns = { columns: [], variantValue: 0, callValue: 0 };
  let vcf: VcfDosages | undefined;
  let droppedCalls = 0;
  let imputedCalls = 0;
  if (genomic && files.genotypes) {
    vcf = await readGenotypes(files.genotypes, genomic, table, plan.id.local);
    genotypes.columns = genomic.variants.map((v) => vcf?.dosages.get(v));
    if (genomic.missingVariant?.strategy === 'impute') genotypes.variantValue = genomic.missingVariant.value;
    const callPolicy = genomic.missingCall ?? { strategy: 'drop' };
    if (callPolicy.strategy === 'impute') genotypes.callValue = Number(callPolicy.value);
    for (const column of genotypes.columns) {
      if (column === undefined) continue;
      for (let r = 0; r < column.length; r++) {
        if (column[r] !== MISSING_CALL || side[r] === UNUSED) continue;
        if (callPolicy.strategy === 'drop') {
          side[r] = UNUSED;
          droppedCalls++;
        } else {
          imputedCalls++;
        }
      }
    }
  }

  const usedRows: number[] = [];
  for (let r = 0; r < side.length; r++) if (side[r] === USED) usedRows.push(r);
  if (usedRows.length === 0) {
    throw dataError(
      { file: table.file },
      `no usable records: ${table.rowsRead} rows read, ${table.unconsented} without consent, ${table.droppedMissing + droppedCalls} dropped for missing values; ` +
        'fix: check the consent column and the missing values, or relax the missing policies',
    );
  }
  const validation = assignSplit(usedRows.map((r) => table.ids[r] ?? ''), seed, validationFraction);
  usedRows.forEach((r, i) => (side[r] = validation[i] ?? 0));

  const featureNames = encodeFeatureNames(schema);
  const [trainSplit, validationSplit] = assembleSplits(table, genotypes, side, featureNames.length);
  let positives = 0;
  for (const r of usedRows) positives += table.labels[r] ?? 0;
  const summary: LoadSummary = {
    clinicalFile: table.file,
    genotypesFile: vcf?.file ?? null,
    rowsRead: table.rowsRead,
    unconsented: table.unconsented,
    droppedMissing: table.droppedMissing + droppedCalls,
    imputed: table.imputed + imputedCalls,
    used: usedRows.length,
    train: trainSplit.n,
    validation: validationSplit.n,
    positives,
    variantsFound: genomic ? genomic.variants.length - (vcf?.missingVariants.length ?? 0) : 0,
    variantsImputed: vcf?.missingVariants ?? [],
    vcfSamplesWithoutClinical: vcf ? vcf.vcfSamples.filter((s) => !table.allIds.has(s)).length : 0,
  };
  return { featureNames, featureCount: featureNames.length, train: trainSplit, validation: validationSplit, summary };
}
