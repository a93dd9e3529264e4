/**
 * Streams a clinical CSV/TSV through csv-parse, row by row, into compact
 * arrays of the records the task may use. Unconsented rows are counted and
 * otherwise never looked at.
 */
import { createReadStream } from 'node:fs';
import { basename, extname } from 'node:path';
import { parse } from 'csv-parse';
import { isCohortError } from '@cohortfl/wire';
import { dataError } from './data-error.js';
import { requiredColumns, type ColumnPlan } from './column-plan.js';
import { RowEncoder } from './clinical-row.js';

export interface ClinicalTable {
  file: string;
  rowsRead: number;
  unconsented: number;
  droppedMissing: number;
  imputed: number;
  /** Slots of the clinical part of each feature row. */
  width: number;
  /** Usable records in file order: ID, 1-based line, label, clinical features (n × clinicalWidth). */
  ids: string[];
  lines: number[];
  labels: Uint8Array;
  clinical: Float32Array;
  /** Subgroup task column → value per usable record. */
  groups: Record<string, string[]>;
  /** Every sample ID in the file, consented or not (to tell VCF-only samples apart). */
  allIds: Set<string>;
}

interface ParsedRecord {
  record: Record<string, string>;
  info: { lines: number };
  raw: string;
}

/** The physical line a record starts on: csv-parse reports the line it ends on. */
function startLine(p: ParsedRecord): number {
  const body = p.raw.replace(/^[\r\n]+/, '').replace(/\r?\n$/, '');
  let inner = 0;
  for (let i = body.indexOf('\n'); i >= 0; i = body.indexOf('\n', i + 1)) inner++;
  return p.info.lines - inner;
}

function checkHeader(header: string[], plan: ColumnPlan, file: string): string[] {
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) throw dataError({ file, line: 1, column: name }, `column '${name}' appears twice in the header; rename or remove one`);
    seen.add(name);
  }
  const missing = requiredColumns(plan).filter((c) => !seen.has(c.local));
  if (missing.length > 0) {
    const names = missing.map((c) => (c.local === c.task ? `'${c.local}'` : `'${c.local}' (mapped from task column '${c.task}')`));
    throw dataError(
      { file, line: 1, column: missing[0]?.local ?? '' },
      `missing column${missing.length > 1 ? 's' : ''} ${names.join(', ')}; columns found: ${header.join(', ')}. ` +
        'Fix: rename the column in the file, or map it in the site mapping (columns.<task column>: "<local column>")',
    );
  }
  return header;
}

function wrapCsvError(e: unknown, file: string): unknown {
  if (isCohortError(e)) return e;
  const err = e as { code?: string; lines?: number; record?: unknown[]; message?: string };
  if (typeof err.code !== 'string' || !err.code.startsWith('CSV_') && !err.code.startsWith('INVALID_')) return e;
  const line = err.lines;
  if (err.code === 'CSV_RECORD_INCONSISTENT_COLUMNS' || err.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH') {
    const got = Array.isArray(err.record) ? err.record.length : '?';
    return dataError({ file, line }, `row has ${got} fields but the header has a different number; fix: check for an unquoted delimiter or a missing field on that line`, e);
  }
  return dataError({ file, line }, `${err.message ?? err.code}; fix: put quotes around the whole field and double any quote inside it ("" for ")`, e);
}

export async function readClinical(path: string, plan: ColumnPlan): Promise<ClinicalTable> {
  const file = basename(path);
  const delimiter = extname(path).toLowerCase() === '.tsv' ? '\t' : ',';
  const width = plan.clinicalWidth;
  const encoder = new RowEncoder(plan, file);
  const table: ClinicalTable = {
    file, rowsRead: 0, unconsented: 0, droppedMissing: 0, imputed: 0, width,
    ids: [], lines: [], labels: new Uint8Array(0), clinical: new Float32Array(0),
    groups: Object.fromEntries(plan.subgroups.map((g) => [g.task, [] as string[]])),
    allIds: new Set(),
  };
  const firstLine = new Map<string, number>();
  let labels = new Uint8Array(1024);
  let clinical = new Float32Array(1024 * width);
  let sawHeader = false;
  const input = createReadStream(path);
  const parser = input.pipe(
    parse({ delimiter, columns: (h: string[]) => ((sawHeader = true), checkHeader(h, plan, file)), info: true, raw: true, bom: true, skip_empty_lines: true, relax_quotes: false }),
  );
  // pipe() does not forward a read error (e.g. EACCES); the parser's iterator must see it.
  input.on('error', (e) => parser.destroy(e));
  try {
    for await (const parsed of parser as AsyncIterable<ParsedRecord>) {
      table.rowsRead++;
      const line = startLine(parsed);
      const id = (parsed.record[plan.id.local] ?? '').trim();
      if (id === '') throw dataError({ file, line, column: plan.id.local }, `column ${plan.id.display} is empty; every row needs a sample ID`);
      const first = firstLine.get(id);
      if (first !== undefined) {
        throw dataError({ file, line, column: plan.id.local }, `sample ID '${id}' appears again (first on line ${first}); remove or merge the duplicate row`);
      }
      firstLine.set(id, line);
      table.allIds.add(id);
      const n = table.ids.length;
      if (n === labels.length) {
        labels = grown(labels, new Uint8Array(n * 2));
        clinical = grown(clinical, new Float32Array(n * 2 * width));
      }
      const r = encoder.encode(parsed.record, line, clinical, n * width);
      if (r.outcome === 'unconsented') table.unconsented++;
      else if (r.outcome === 'dropped') table.droppedMissing++;
      else {
        table.ids.push(id);
        table.lines.push(line);
        labels[n] = r.label;
        table.imputed += r.imputed;
        plan.subgroups.forEach((g, i) => table.groups[g.task]?.push(r.groups[i] ?? ''));
      }
    }
  } catch (e) {
    throw wrapCsvError(e, file);
  } finally {
    parser.destroy();
    input.destroy();
  }
  if (!sawHeader) {
    const needed = requiredColumns(plan).map((c) => c.local).join(', ');
    throw dataError({ file, line: 1 }, `the file is empty; fix: it needs a header line (${needed}) and one row per sample`);
  }
  const n = table.ids.length;
  table.labels = labels.slice(0, n);
  table.clinical = clinical.slice(0, n * width);
  return table;
}

function grown<T extends Uint8Array | Float32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
