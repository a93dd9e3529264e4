/**
 * The last line behind the long-running commands (`cohort-coordinator serve`,
 * `cohort-site run`): an error that escapes every handler reaches
 * process.on('uncaughtException' / 'unhandledRejection') here instead of ending the
 * process silently. It is logged and counted (the caller's Prometheus counter).
 *
 * Decision: the process keeps running. Every socket handler is already contained to its
 * connection and the durable state is in transactional stores, so an escaped error most
 * likely comes from one connection's callback; exiting would hand whoever found that path
 * the crash of issue 12's finding 1 again. A burst (by default 10 within 60 s) means
 * something is broken beyond one connection: the guard then exits with code 70 (INTERNAL)
 * after logging, for the supervisor to restart (a coordinator's run resumes from its store).
 * The tests (fuzzer included) assert the counter stays 0: no known path reaches this guard.
 */
import { ERROR_CODES } from './errors.js';

export type UncaughtKind = 'exception' | 'rejection';

export interface ProcessGuardOptions {
  /** Log and count one escaped error; must not throw. */
  record(kind: UncaughtKind, error: unknown): void;
  /** Exit after this many escaped errors within windowMs. */
  burst?: { count: number; windowMs: number };
  /** Called once when the burst is reached (default: process.exit(70)). */
  exit?(code: number): void;
  now?(): number;
}

export const DEFAULT_GUARD_BURST = { count: 10, windowMs: 60_000 } as const;

/** Installs the handlers; returns their removal. */
export function installProcessGuard(options: ProcessGuardOptions): () => void {
  const burst = options.burst ?? DEFAULT_GUARD_BURST;
  const now = options.now ?? Date.now;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const recent: number[] = [];
  let exiting = false;
  const handle = (kind: UncaughtKind, error: unknown): void => {
    try {
      options.record(kind, error);
    } catch {
      process.stderr.write(`process guard: could not record an uncaught ${kind}: ${String(error)}\n`);
    }
    const t = now();
    recent.push(t);
    while (recent.length > 0 && recent[0]! <= t - burst.windowMs) recent.shift();
    if (recent.length >= burst.count && !exiting) {
      exiting = true;
      process.stderr.write(`process guard: ${recent.length} uncaught errors within ${burst.windowMs} ms; exiting with code ${ERROR_CODES.INTERNAL}\n`);
      exit(ERROR_CODES.INTERNAL);
    }
  };
  const onException = (error: unknown) => handle('exception', error);
  const onRejection = (reason: unknown) => handle('rejection', reason);
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
