/**
 * The append-only JSON-lines files a site keeps as evidence (signed-messages.jsonl,
 * coordinator-messages.jsonl): one record a line, written and fsynced before the site acts
 * (the folder too when the file is new), mode 0600. A crash mid-append leaves a torn last
 * line: the next append terminates it (the file is never rewritten, only grown) and the
 * reader reports it, not fatal.
 */
import { closeSync, fchmodSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { CohortError } from '@cohortfl/wire';
import { syncDir } from './atomic-file.js';

/** Appends one record as a JSON line, durably. Throws DATA_INVALID (`what` names the record) when it cannot. */
export function appendRecordLine(stateDir: string, path: string, record: unknown, what: string): void {
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const fd = openSync(path, 'a+', 0o600);
    try {
      const stat = fstatSync(fd);
      // The record is not secret, but only this site may add to it.
      if ((stat.mode & 0o077) !== 0) fchmodSync(fd, 0o600);
      const line = `${endsTorn(fd, stat.size) ? '\n' : ''}${JSON.stringify(record)}\n`;
      const bytes = Buffer.from(line, 'utf8');
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written);
      fsyncSync(fd);
      if (stat.size === 0) syncDir(stateDir);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new CohortError('DATA_INVALID', `cannot record ${what} in ${path}: ${why}`, { cause: error });
  }
}

/** Whether a non-empty file lacks its final newline (a crash cut the last append short). */
function endsTorn(fd: number, size: number): boolean {
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  return last[0] !== 0x0a;
}

export interface RecordLines<R> {
  path: string;
  records: R[];
  /** Lines that are not records (a crash mid-write, or damage), each naming its line number. */
  damaged: string[];
}

/**
 * Reads every line `parse` accepts. Throws NOT_FOUND (`missing` as the message) when there is
 * no file, DATA_INVALID when it cannot be read. `torn` says what a torn last line means.
 */
export function readRecordLines<R>(path: string, parse: (value: unknown) => R | undefined, missing: string, torn: string): RecordLines<R> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CohortError('NOT_FOUND', missing, { cause: error });
    throw new CohortError('DATA_INVALID', `cannot read ${path}: ${code ?? (error as Error).message}`, { cause: error });
  }
  const lines = text.split('\n');
  const complete = text.endsWith('\n') || text.length === 0;
  if (complete) lines.pop();
  const records: R[] = [];
  const damaged: string[] = [];
  lines.forEach((line, i) => {
    const last = i === lines.length - 1 && !complete;
    const parsed = parseJson(line, parse);
    if (parsed !== undefined) records.push(parsed);
    else if (last) damaged.push(`${path} line ${i + 1}: torn record (${torn})`);
    else damaged.push(`${path} line ${i + 1}: not a record (${line.length === 0 ? 'empty' : 'cut short or damaged'}); ignored`);
  });
  return { path, records, damaged };
}

function parseJson<R>(line: string, parse: (value: unknown) => R | undefined): R | undefined {
  try {
    return parse(JSON.parse(line));
  } catch {
    return undefined;
  }
}
