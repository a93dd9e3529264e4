/** How `cohort-site audit verify` prints its verdict: OK with counts, or every problem, then a failing CohortError. */
import { CohortError } from '@cohortfl/wire';
import type { AuditReport } from './audit-verify.js';

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
    io.out(`OK: ${n} ${n === 1 ? 'entry' : 'entries'}; chain and signatures verify; ${checked}`);
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
