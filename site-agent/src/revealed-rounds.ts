/**
 * `<stateDir>/revealed-rounds.json`: the rounds whose masks this site removed. A
 * round it revealed for is not run again without differential privacy, even after a
 * restart (two sums that differ by one site give that site's update away). Written
 * atomically and synced before the reveal leaves the site.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { RevealedRounds } from '@cohortfl/protocol';
import { CohortError, SHA256_HEX_PATTERN } from '@cohortfl/wire';
import { writeFileAtomic } from './atomic-file.js';

export const REVEALED_FILE = 'revealed-rounds.json';
const FORMAT = 'cohortfl-revealed-rounds/1' as const;

const fileSchema = z.strictObject({
  format: z.literal(FORMAT),
  rounds: z.array(z.strictObject({ taskHash: z.string().regex(SHA256_HEX_PATTERN), round: z.int().min(0) })),
});

export function fileRevealedRounds(stateDir: string): RevealedRounds & { readonly path: string; readonly size: number } {
  const path = join(stateDir, REVEALED_FILE);
  const rounds: { taskHash: string; round: number }[] = [];
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new CohortError('CONFIG_INVALID', `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (text !== undefined) {
    let parsed;
    try {
      parsed = fileSchema.safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    // Never start afresh silently: a lost record would allow a retry to be differenced.
    if (!parsed?.success) throw new CohortError('CONFIG_INVALID', `${path} is damaged; restore it from a backup (deleting it would let a coordinator repeat rounds this site revealed for)`);
    rounds.push(...parsed.data.rounds);
  }
  const seen = new Set(rounds.map((r) => `${r.taskHash}:${r.round}`));
  return {
    path,
    get size() {
      return seen.size;
    },
    has: (taskHash, round) => seen.has(`${taskHash}:${round}`),
    add: (taskHash, round) => {
      const key = `${taskHash}:${round}`;
      if (seen.has(key)) return;
      const next = [...rounds, { taskHash, round }];
      writeFileAtomic(stateDir, REVEALED_FILE, `${JSON.stringify({ format: FORMAT, rounds: next })}\n`);
      rounds.push({ taskHash, round });
      seen.add(key);
    },
  };
}
