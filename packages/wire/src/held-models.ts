/**
 * The models a site holds, so a `round/start` can name its weights by SHA-256 instead of
 * sending them again (protocol 2.1, PROTOCOL.md §7). Both peers keep this memory by the same
 * rule, so the coordinator names by hash only a model the site still has: a model enters
 * when the site answers, other than with a refusal, the `round/start` that carried it
 * (inline, in chunks or by hash), and the `HELD_MODELS` most recent distinct models are kept.
 * The coordinator keeps one memory per session (hashes only) and forgets it with the
 * session; the site keeps one per process (with the weights), so what the coordinator
 * believes is always a subset of what the site has, short of a site answer the
 * coordinator refused (then the site refuses the reference, `model_not_held`, and the
 * coordinator sends the bytes next time).
 */
import type { RoundStart } from './messages.js';

/** How many distinct models each side remembers: the one trained from and the one evaluated. */
export const HELD_MODELS = 2;

/** The key of one phase announcement: task, round, attempt, phase. */
export function roundStartKey(start: Pick<RoundStart, 'taskHash' | 'round' | 'attempt' | 'phase'>): string {
  return `${start.taskHash}:${start.round}:${start.attempt}:${start.phase}`;
}

/** Whether a `round/start` names its weights by hash: no inline weights, no chunks. */
export function isModelReference(start: Pick<RoundStart, 'weights' | 'weightsHash' | 'weightsChunks'>): boolean {
  return start.weightsHash !== undefined && start.weightsChunks === undefined && start.weights.length === 0;
}

export class HeldModels<T> {
  private readonly entries: { hash: string; value: T }[] = [];
  private offered: { key: string; hash: string; value: T } | undefined;

  /** The `round/start` for `key` carried (or named) model `hash`; it is held once answered. */
  offer(key: string, hash: string, value: T): void {
    this.offered = { key, hash, value };
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
