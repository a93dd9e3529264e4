/** How `cohort-site audit verify` prints its verdict: OK with counts, or every problem, then a failing CohortError. */
import { CohortError } from '@cohortfl/wire';
import type { AuditReport } from './audit-verify.js';
import type { Comparison } from './evidence.js';

/** Notes beyond this many are summarized in one line (a long-running site may hold many). */
const NOTES_SHOWN = 20;

export interface ReportIo {
  out(line: string): void;
  err(line: string): void;
}

/** Prints the report; throws SIGNATURE_INVALID (exit 6) when the log does not verify. */
export function printAuditReport(file: string, site: string, report: AuditReport, io: ReportIo): void {
  const { verdict, records, siteEntries } = report;
  for (const line of records?.damaged ?? []) io.err(`warning: ${line}`);
  const notes = verdict.notes ?? [];
  const printNotes = () => {
    for (const note of notes.slice(0, NOTES_SHOWN)) io.out(`note: ${note}`);
    if (notes.length > NOTES_SHOWN) io.out(`note: … and ${notes.length - NOTES_SHOWN} more messages ${site} signed that the log does not show`);
  };
  if (verdict.ok) {
    const n = verdict.entries.length;
    const checked = records
      ? `${siteEntries} ${siteEntries === 1 ? 'entry' : 'entries'} naming ${site} match its own records (${records.records.length} kept in ${records.path})`
      : `${site}'s own records not checked (--no-site-records)`;
    const signed = report.everySignature ? 'chain and every signature verify' : "chain verifies, anchored by the coordinator's signature on its last entry";
    io.out(`OK: ${n} ${n === 1 ? 'entry' : 'entries'}; ${signed}; ${checked}`);
    // A log cut back to an earlier export ends at that export's own seal and verifies: its time tells.
    const seal = verdict.entries.at(-1);
    if (seal) io.out(`sealed by the coordinator's export at ${new Date(seal.at).toISOString()}; an older time means entries after it are missing`);
    printNotes();
    return;
  }
  for (const problem of verdict.problems) io.err(`${file}: ${problem}`);
  printNotes();
  const count = `${verdict.problems.length} problem${verdict.problems.length === 1 ? '' : 's'}`;
  throw new CohortError('SIGNATURE_INVALID', `the audit log ${file} does not verify (${count})`);
}

/** A value from a site's reading, shortened for one line. */
function shown(value: unknown, max = 600): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * Prints `cohort-site audit compare`: OK with counts, or each forged record, equivocation and
 * inconsistent record; throws SIGNATURE_INVALID (exit 6) when there is any.
 */
export function printComparison(comparison: Comparison, damaged: readonly string[], io: ReportIo): void {
  for (const line of damaged) io.err(`warning: ${line}`);
  const { forged, equivocations, inconsistent, notes } = comparison;
  const sites = comparison.sites.join(', ');
  for (const e of equivocations) {
    io.err(`EQUIVOCATION: ${e.step}: the coordinator signed ${e.versions.length} different messages${e.differing.length > 0 ? ` (differing in ${e.differing.join(', ')})` : ''}:`);
    const field = (facts: unknown, k: string) => (facts as Record<string, unknown> | null)?.[k];
    e.versions.forEach((v, i) => {
      const detail = e.differing
        .map((k) => {
          const value = field(v.facts, k);
          const text = JSON.stringify(value) ?? 'null';
          if (text.length <= 200 || !Array.isArray(value)) return `${k} ${shown(value, 200)}`;
          // A long list (a roster): only the items not every version has.
          const everywhere = (item: unknown) => e.versions.every((o) => (field(o.facts, k) as unknown[] | undefined)?.some((x) => JSON.stringify(x) === JSON.stringify(item)));
          return `${k} (${value.length} items) differs in ${shown(value.filter((item) => !everywhere(item)))}`;
        })
        .join('; ');
      io.err(`  version ${i + 1} (body ${v.body.slice(0, 16)}…) sent to ${v.sites.join(', ')}${detail ? `: ${detail}` : ''}`);
    });
  }
  for (const line of forged) io.err(line);
  for (const line of inconsistent) io.err(`INCONSISTENT: ${line}`);
  for (const note of notes) io.out(`note: ${note}`);
  const problems = equivocations.length + forged.length + inconsistent.length;
  if (problems === 0) {
    io.out(
      `OK: ${comparison.records} coordinator-signed records from ${sites}; every signature verifies; ` +
        `${comparison.shared} signed ${comparison.shared === 1 ? 'step' : 'steps'} seen by two or more sites, each the same message at every site`,
    );
    return;
  }
  const parts = [
    equivocations.length > 0 ? `${equivocations.length} equivocation${equivocations.length === 1 ? '' : 's'}` : '',
    forged.length > 0 ? `${forged.length} forged or foreign record${forged.length === 1 ? '' : 's'}` : '',
    inconsistent.length > 0 ? `${inconsistent.length} inconsistent record${inconsistent.length === 1 ? '' : 's'}` : '',
  ].filter(Boolean);
  throw new CohortError('SIGNATURE_INVALID', `the records of ${sites} do not agree: ${parts.join(', ')}`);
}
