/**
 * The models a site holds, so the coordinator can leave out the `model/chunk` messages of a
 * `round/start` whose announced `weightsHash` the site already has (protocol 2.1,
 * PROTOCOL.md §7). Both peers keep this memory by the same rule: a model enters when the site
 * answers, other than with a refusal, the `round/start` that announced it, and the
 * `HELD_MODELS` most recent distinct models are kept. The coordinator keeps one memory per
 * session (hashes only) and forgets it with the session, when the site refuses a round, and
 * when the site left the previous announcement unanswered; the site keeps one per process
 * (with the weights). A site that does not hold an announced model waits for its chunks,
 * whoever is wrong.
 */
import type { RoundStart } from './messages.js';

/** How many distinct models each side remembers: the one trained from and the one evaluated. */
export const HELD_MODELS = 2;

/** The key of one phase announcement: task, round, attempt, phase. */
export function roundStartKey(start: Pick<RoundStart, 'taskHash' | 'round' | 'attempt' | 'phase'>): string {
  return `${start.taskHash}:${start.round}:${start.attempt}:${start.phase}`;
}

export class HeldModels<T> {
  private readonly entries: { hash: string; value: T }[] = [];
  private offered: { key: string; hash: string; value: T } | undefined;

  /** The `round/start` for `key` announced model `hash`; it is held once answered. */
  offer(key: string, hash: string, value: T): void {
    this.offered = { key, hash, value };
  }

  /** Whether the last announcement offered has not been answered (yet). */
  get unanswered(): boolean {
    return this.offered !== undefined;
  }

  /** The site answered the `round/start` for `key` without refusing it. */
  answered(key: string): void {
    const offered = this.offered;
    if (offered === undefined || offered.key !== key) return;
    this.offered = undefined;
    const at = this.entries.findIndex((e) => e.hash === offered.hash);
    if (at >= 0) this.entries.splice(at, 1);
    this.entries.push({ hash: offered.hash, value: offered.value });
    while (this.entries.length > HELD_MODELS) this.entries.shift();
  }

  get(hash: string): T | undefined {
    return this.entries.find((e) => e.hash === hash)?.value;
  }

  has(hash: string): boolean {
    return this.entries.some((e) => e.hash === hash);
  }

  /** Forget everything (a refused reference, a new session). */
  forget(): void {
    this.entries.length = 0;
    this.offered = undefined;
  }

  get size(): number {
    return this.entries.length;
  }
}
