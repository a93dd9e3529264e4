/**
 * The site's replay guard over round announcements is made durable by the record it keeps
 * anyway: every `round/start` the guard accepts is first appended and fsynced to
 * coordinator-messages.jsonl (its signing context, run and body SHA-512), before the site acts
 * on it. `state.json` is only a checkpoint of the guard, written at start-up and at a clean
 * stop; at start-up the guard is the checkpoint plus every recorded `round/start` replayed
 * through it. So after a crash at any point, a round/start the site acted on is refused
 * again, with one fsync per announcement instead of three (state.json's file and folder,
 * and the record).
 */
import { signingDigestFromPayloadHash } from '@cohortfl/identity';
import type { CoordinatorMessageRecord } from './coordinator-messages.js';
import type { SiteState } from './state-store.js';

/** The replay scope of a recorded round/start, as `replayScope` gives it for the message. */
function scopeOf(record: CoordinatorMessageRecord): string {
  const run = record.run;
  return typeof run === 'string' || typeof run === 'number' ? `${record.context.taskHash}/${String(run)}` : record.context.taskHash;
}

/**
 * Replays recorded round/starts (in file order) through the state's guard; returns how many
 * it had not seen yet. A record whose context cannot make a digest is skipped (the evidence
 * reader reports damaged lines separately).
 */
export function replayJournal(state: SiteState, records: readonly CoordinatorMessageRecord[]): number {
  let added = 0;
  for (const record of records) {
    if (record.type !== 'round/start') continue;
    let digest: Uint8Array;
    try {
      digest = signingDigestFromPayloadHash(record.context, Buffer.from(record.body, 'hex'));
    } catch {
      continue;
    }
    const check = { site: scopeOf(record), round: record.context.round, attempt: record.context.attempt, phase: record.context.phase, digest };
    if (!state.replay.check(check).ok) continue;
    state.replay.accept(check);
    added += 1;
    const phase = record.context.phase;
    if (phase === 'train' || phase === 'evaluate') {
      state.lastRound = { taskHash: record.context.taskHash, round: record.context.round, attempt: record.context.attempt, phase, at: new Date(record.at).toISOString() };
    }
  }
  return added;
}
