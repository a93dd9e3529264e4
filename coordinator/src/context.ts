/** What the connection handlers share: the store, the sessions, the run driver and the means to answer. */
import { createEnvelope, LIMITS, type Codec, type Envelope } from '@cohortfl/wire';
import type { Identity } from '@cohortfl/identity';
import type { Admission } from './admission.js';
import type { Socket } from 'socket.io';
import { AUDIT_KINDS, tryAppendAudit } from './audit/audit-log.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { RefusalLedger } from './refusal-ledger.js';
import { REFUSAL_CODES, type Refusal } from './refusals.js';
import type { RunDriver } from './run-driver.js';
import type { SessionRegistry } from './session-registry.js';
import type { Store } from './store/index.js';

export interface CoordinatorContext {
  store: Store;
  sessions: SessionRegistry;
  driver: RunDriver;
  codec: Codec;
  identity: Identity;
  /** The coordinator's key in text form, as sites pin it. */
  publicKeyText: string;
  logger: Logger;
  metrics: Metrics;
  /** Counts refusals, writes them to the audit log aggregated, closes sessions refused too often. */
  refusals: RefusalLedger;
  now: () => number;
  /** Pre-authentication limits (admission.ts); absent in tests that drive handlers directly. */
  admission?: Admission;
}

/** Encode and emit one envelope; false if the socket is gone or the envelope is refused by our own codec. */
export function sendEnvelope(ctx: CoordinatorContext, socket: Socket, envelope: Envelope): boolean {
  if (!socket.connected) return false;
  let bytes: Uint8Array;
  try {
    bytes = ctx.codec.encode(envelope);
  } catch (error) {
    ctx.logger.error({ err: error, type: envelope.type }, 'could not encode an outgoing message');
    return false;
  }
  socket.emit('msg', bytes);
  return true;
}

/** Emit a frame our codec already encoded (a broadcast encoded once for the cohort); false if the socket is gone. */
export function sendFrame(socket: Socket, bytes: Uint8Array): boolean {
  if (!socket.connected) return false;
  socket.emit('msg', bytes);
  return true;
}

function clip(message: string): string {
  return message.length <= LIMITS.MESSAGE_MAX ? message : `${message.slice(0, LIMITS.MESSAGE_MAX - 1)}…`;
}

/**
 * Every refusal: one count, an `error {code, message}` to the sender, and a log line. Before
 * welcome (`close`) the connection is then closed; after it, it stays open unless the session
 * has been refused more than `refusals.closeAfter` times within `refusals.windowSeconds`.
 * A refusal naming a message whose site signature was checked (`refused`) gets its own signed
 * `message.refused` audit entry; any other is counted by the refusal ledger and written to the
 * audit log aggregated per site (or the unauthenticated bucket), reason and interval.
 */
export function refuse(
  ctx: CoordinatorContext,
  socket: Socket,
  site: string | undefined,
  reason: Refusal,
  message: string,
  close: boolean,
  /** The refused message, when its signature was checked: run, type, round, attempt, phase, digest. */
  refused?: Record<string, unknown>,
): void {
  const code = REFUSAL_CODES[reason];
  ctx.metrics.rejected(reason);
  // Authenticated: the socket is its site's current session. Before that, `site` is only what the peer claims.
  const authenticated = site !== undefined && ctx.sessions.get(site)?.socket === socket;
  let log = true;
  if (refused && authenticated) {
    tryAppendAudit(ctx.store, ctx.identity, ctx.logger, {
      at: ctx.now(),
      kind: AUDIT_KINDS.MESSAGE_REFUSED,
      site,
      data: { reason, code, ...refused },
    });
  } else {
    log = ctx.refusals.count(authenticated ? site : undefined, reason, code);
  }
  if (log) ctx.logger.warn({ site, reason, code, close }, `refused: ${clip(message)}`);
  sendEnvelope(ctx, socket, createEnvelope('error', { code, message: clip(message) }));
  if (close) {
    socket.disconnect(true);
  } else if (authenticated && ctx.refusals.overLimit(socket, site, reason, code)) {
    const { closeAfter, windowSeconds } = ctx.refusals.settings;
    ctx.metrics.refusalCloses.inc();
    ctx.logger.warn({ site, reason: 'too_many_refusals', closeAfter, windowSeconds }, `closing the session of '${site}': more than ${closeAfter} refusals within ${windowSeconds} s`);
    socket.disconnect(true);
  }
}
