/**
 * Exponential backoff with jitter, the schedule socket.io-client itself uses
 * (reconnectionDelay 500 ms doubling to 10 s, randomization 0.5), for the
 * reconnects socket.io does not do on its own: after the coordinator closed the
 * session, or after this site walked away from a failed handshake.
 */
export interface BackoffOptions {
  minMs?: number;
  maxMs?: number;
  /** 0 … 1: each delay is scaled by a factor in [1 - jitter, 1 + jitter]. */
  jitter?: number;
  random?: () => number;
}

export const RECONNECT = { delayMs: 500, delayMaxMs: 10_000, randomization: 0.5 } as const;

export class Backoff {
  private failures = 0;
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.minMs = options.minMs ?? RECONNECT.delayMs;
    this.maxMs = options.maxMs ?? RECONNECT.delayMaxMs;
    this.jitter = options.jitter ?? RECONNECT.randomization;
    this.random = options.random ?? Math.random;
  }

  get attempts(): number {
    return this.failures;
  }

  /** The delay before the next attempt; each call doubles the base, up to the maximum. */
  next(): number {
    const base = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.failures, 30));
    this.failures += 1;
    const factor = 1 + this.jitter * (2 * this.random() - 1);
    return Math.min(this.maxMs, Math.max(0, Math.round(base * factor)));
  }

  reset(): void {
    this.failures = 0;
  }
}
