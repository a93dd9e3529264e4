/**
 * What a refusal costs. Every refusal is counted at once in memory
 * (cohort_messages_rejected_total and here). A refusal of a message whose site signature was
 * checked names that message and gets its own `message.refused` entry, as sites' audit
 * verification needs; there are few of those. Every other refusal (junk, unsigned or
 * unverifiable frames, anything before authentication) is only counted, and the counts are
 * written to the signed audit log as one `refusals` entry per site and reason per interval
 * (`refusals.flushSeconds`): on a timer, and at shutdown before the store closes. Refusals of
 * peers that have not authenticated go in one bucket, site `null` with `peer: 'unauthenticated'`
 * (the site a stranger claims is not recorded: it is the stranger's word). Refusals the
 * transport makes below any session (a frame the socket.io parser refuses, a frame over the
 * connection's size limit, a connection over the unauthenticated limits, a failed socket
 * handler) cannot be attributed to a site and go in a second bucket, `peer: 'transport'`.
 * So the log grows with time, sites and reasons, not with frames.
 *
 * A crash (SIGKILL, power loss) loses the counts since the last flush: at most
 * `flushSeconds` of unsigned refusals, never a `message.refused` entry of a signed message.
 *
 * An authenticated session refused more than `refusals.closeAfter` times within
 * `refusals.windowSeconds` is closed; its site's next `refusals` entries count the closure.
 */
import type { Identity } from '@cohortfl/identity';
import type { Socket } from 'socket.io';
import { AUDIT_KINDS, tryAppendAudit } from './audit/audit-log.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { REFUSAL_CODES, type Refusal } from './refusals.js';
import type { Store } from './store/index.js';

/** The bucket of refusals of peers that have not authenticated. */
export const UNAUTHENTICATED = 'unauthenticated';
/** The bucket of refusals made below any session, where no site can be named. */
export const TRANSPORT = 'transport';
export type Peer = typeof UNAUTHENTICATED | typeof TRANSPORT;
/** Log lines per site (or bucket) and reason per interval; the rest are only counted, and summed at the flush. */
export const LOG_LINES_PER_INTERVAL = 10;

export interface RefusalSettings {
  flushSeconds: number;
  closeAfter: number;
  windowSeconds: number;
}

interface Tally {
  site: string | null;
  /** The bucket of a refusal with no site. */
  peer: Peer;
  reason: Refusal;
  code: string;
  count: number;
  first: number;
  last: number;
  logged: number;
  closedSessions: number;
}

interface Window {
  start: number;
  count: number;
}

export class RefusalLedger {
  private readonly tallies = new Map<string, Tally>();
  private readonly windows = new WeakMap<Socket, Window>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: { store: Store; identity: Identity; logger: Logger; now: () => number },
    readonly settings: RefusalSettings,
  ) {}

  /** Flush every `flushSeconds` until stop(). */
  start(): void {
    this.timer ??= setInterval(() => this.flush(), this.settings.flushSeconds * 1000);
    this.timer.unref();
  }

  /** Stop the timer and write what is counted (call before the store closes). */
  stop(): number {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return this.flush();
  }

  /**
   * Count one refusal that names no signed message. `site` undefined: a refusal of the `peer`
   * bucket (an unauthenticated peer unless told). Returns whether it should still get its own
   * log line in this interval.
   */
  count(site: string | undefined, reason: Refusal, code: string, peer: Peer = UNAUTHENTICATED): boolean {
    const bucket = site ?? null;
    const key = JSON.stringify([bucket, bucket === null ? peer : '', reason]);
    const now = this.deps.now();
    let tally = this.tallies.get(key);
    if (!tally) {
      tally = { site: bucket, peer, reason, code, count: 0, first: now, last: now, logged: 0, closedSessions: 0 };
      this.tallies.set(key, tally);
    }
    tally.count += 1;
    tally.last = now;
    if (tally.logged >= LOG_LINES_PER_INTERVAL) return false;
    tally.logged += 1;
    return true;
  }

  /**
   * One refusal of an authenticated session (signed or not): true when it takes the session
   * over `closeAfter` refusals within `windowSeconds`, and the session must be closed.
   */
  overLimit(socket: Socket, site: string, reason: Refusal, code: string): boolean {
    const now = this.deps.now();
    let window = this.windows.get(socket);
    if (!window || now - window.start >= this.settings.windowSeconds * 1000) {
      window = { start: now, count: 0 };
      this.windows.set(socket, window);
    }
    window.count += 1;
    if (window.count <= this.settings.closeAfter) return false;
    // Counted once per closed session, in the tally of the refusal that tipped it over.
    if (window.count === this.settings.closeAfter + 1) {
      const key = JSON.stringify([site, '', reason]);
      let tally = this.tallies.get(key);
      if (!tally) {
        tally = { site, peer: UNAUTHENTICATED, reason, code, count: 0, first: now, last: now, logged: LOG_LINES_PER_INTERVAL, closedSessions: 0 };
        this.tallies.set(key, tally);
      }
      tally.closedSessions += 1;
    }
    return true;
  }

  /** Write one `refusals` entry per site (or bucket) and reason counted since the last flush; returns how many. */
  flush(): number {
    if (this.tallies.size === 0) return 0;
    const tallies = [...this.tallies.values()];
    this.tallies.clear();
    const at = this.deps.now();
    tallies.sort((a, b) => (a.site ?? '').localeCompare(b.site ?? '') || a.peer.localeCompare(b.peer) || a.reason.localeCompare(b.reason));
    for (const t of tallies) {
      const data = {
        ...(t.site === null ? { peer: t.peer } : {}),
        reason: t.reason,
        code: t.code,
        count: t.count,
        from: t.first,
        to: t.last,
        ...(t.closedSessions > 0 ? { closedSessions: t.closedSessions } : {}),
      };
      tryAppendAudit(this.deps.store, this.deps.identity, this.deps.logger, { at, kind: AUDIT_KINDS.REFUSALS, ...(t.site === null ? {} : { site: t.site }), data });
      if (t.count > t.logged) {
        this.deps.logger.warn({ site: t.site ?? t.peer, reason: t.reason, code: t.code, count: t.count, notLogged: t.count - t.logged }, 'refusals since the last flush (only the first of each kind were logged one by one)');
      }
    }
    return tallies.length;
  }
}

/**
 * The counter of refusals the transport makes below any session (admission limits, the
 * socket.io parser, frame limits, failed socket handlers): each is counted in
 * cohort_messages_rejected_total and in the ledger's `transport` bucket.
 */
export function transportRefusals(metrics: Pick<Metrics, 'rejected'>, ledger: RefusalLedger): Pick<Metrics, 'rejected'> {
  return {
    rejected(reason) {
      metrics.rejected(reason);
      ledger.count(undefined, reason, REFUSAL_CODES[reason], TRANSPORT);
    },
  };
}
