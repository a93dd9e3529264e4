/**
 * The site's durable memory between restarts: the replay guard over the
 * coordinator's signed round announcements, and the last round seen. One small
 * JSON file, replaced atomically (atomic-file.ts), so a crash leaves either the
 * old state or the new one, never half of each.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ReplayGuard, type ReplayGuardState } from '@cohortfl/identity';
import { CohortError, PHASES, SHA256_HEX_PATTERN, type Phase } from '@cohortfl/wire';
import { writeFileAtomic } from './atomic-file.js';

export const STATE_FORMAT = 'cohortfl-site-state/1' as const;
export const STATE_FILE = 'state.json';

export interface LastRound {
  taskHash: string;
  round: number;
  attempt: number;
  phase: Phase;
  /** ISO time the round/start was accepted. */
  at: string;
}

export interface SiteState {
  replay: ReplayGuard;
  lastRound: LastRound | null;
}

const stateSchema = z.strictObject({
  format: z.literal(STATE_FORMAT),
  replay: z.unknown(),
  lastRound: z
    .strictObject({
      taskHash: z.string().regex(SHA256_HEX_PATTERN),
      round: z.int().min(1),
      attempt: z.int().min(1),
      phase: z.enum(PHASES),
      at: z.string(),
    })
    .nullable(),
});

export class StateStore {
  readonly path: string;

  constructor(readonly dir: string) {
    this.path = join(dir, STATE_FILE);
  }

  /** The saved state, or a fresh one when none was saved yet. */
  load(): SiteState {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { replay: new ReplayGuard(), lastRound: null };
      throw new CohortError('CONFIG_INVALID', `cannot read site state ${this.path}: ${(error as Error).message}`, { cause: error });
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw corrupt(this.path, 'not valid JSON');
    }
    const parsed = stateSchema.safeParse(raw);
    if (!parsed.success) throw corrupt(this.path, parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; '));
    let replay: ReplayGuard;
    try {
      replay = ReplayGuard.fromJSON(parsed.data.replay);
    } catch (error) {
      throw corrupt(this.path, (error as Error).message);
    }
    return { replay, lastRound: parsed.data.lastRound };
  }

  save(state: SiteState): void {
    const body: { format: typeof STATE_FORMAT; replay: ReplayGuardState; lastRound: LastRound | null } = {
      format: STATE_FORMAT,
      replay: state.replay.toJSON(),
      lastRound: state.lastRound,
    };
    writeFileAtomic(this.dir, STATE_FILE, `${JSON.stringify(body, null, 2)}\n`);
  }
}

function corrupt(path: string, why: string): CohortError {
  return new CohortError(
    'CONFIG_INVALID',
    `site state ${path} is corrupt (${why}); move it aside to start with an empty replay history`,
  );
}
