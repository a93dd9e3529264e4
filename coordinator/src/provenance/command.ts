/** `cohort-coordinator provenance <run>`: the signed record as JSON, and optionally its HTML view. */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Identity } from '@cohortfl/identity';
import { CohortError } from '@cohortfl/wire';
import type { Store } from '../store/index.js';
import { buildProvenance } from './build.js';
import { provenanceHtml } from './html.js';
import type { ProvenanceRecord } from './types.js';
import { verifyProvenance } from './verify.js';

export interface ProvenanceCommandOptions {
  store: Store;
  identity: Identity;
  run: number;
  round?: number;
  /** JSON file; absent: the JSON goes to `io.out`. */
  out?: string;
  /** HTML file, written only if given. */
  html?: string;
  /** generatedAt (default: now). */
  at?: number;
}

export interface ProvenanceCommandIo {
  out(line: string): void;
  /** Where the HTML summary line goes while stdout carries the JSON (omitted: not printed). */
  err?(line: string): void;
}

export function runProvenanceCommand(opts: ProvenanceCommandOptions, io: ProvenanceCommandIo): ProvenanceRecord {
  const record = buildProvenance(opts.store, opts.identity, opts.run, {
    ...(opts.round === undefined ? {} : { round: opts.round }),
    ...(opts.at === undefined ? {} : { at: opts.at }),
  });
  // Checked with our own key before anything is written: a record that fails here is a bug, not output.
  const verdict = verifyProvenance(JSON.parse(JSON.stringify(record)) as unknown, opts.identity.publicKey);
  if (!verdict.ok) throw new CohortError('INTERNAL', `the provenance record does not verify: ${verdict.problems.join('; ')}`);
  const json = `${JSON.stringify(record, null, 2)}\n`;
  const cp = record.checkpoint;
  if (opts.out === undefined) io.out(json.trimEnd());
  else {
    const path = write(opts.out, json);
    io.out(`wrote provenance of run ${record.run.id} at round ${cp.round} (checkpoint ${cp.sha256.slice(0, 12)}…, ${record.rounds.length} rounds) to ${path}, signed by coordinator ${record.coordinator.fingerprint}`);
  }
  if (opts.html !== undefined) {
    const path = write(opts.html, provenanceHtml(record, { verified: true }));
    const line = `wrote the provenance view of run ${record.run.id} at round ${cp.round} to ${path}`;
    if (opts.out === undefined) io.err?.(line);
    else io.out(line);
  }
  return record;
}

function write(file: string, text: string): string {
  const path = resolve(file);
  try {
    writeFileSync(path, text, 'utf8');
  } catch (cause) {
    throw new CohortError('CONFIG_INVALID', `cannot write ${path}: ${(cause as Error).message}`, { cause });
  }
  return path;
}
