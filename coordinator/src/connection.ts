/**
 * One socket from connect to disconnect: the handshake of PROTOCOL.md §5
 * (hello → challenge → auth → welcome, any refusal closes), then the session,
 * whose messages go through the validation pipeline in session-messages.ts.
 */
import { randomBytes } from 'node:crypto';
import { TLSSocket } from 'node:tls';
import type { Socket } from 'socket.io';
import { CHANNEL_BINDING_BYTES, CHANNEL_BINDING_LABEL, createChallenge, decodePublicKey, NO_CHANNEL_BINDING, signCoordinatorProof, verifyChallenge } from '@cohortfl/identity';
import { createEnvelope, HeldModels, type Envelope } from '@cohortfl/wire';
import { refuse, sendEnvelope, sendFrame, type CoordinatorContext } from './context.js';
import { transportRefusals } from './refusal-ledger.js';
import { refusalOf } from './refusals.js';
import type { Session } from './session-registry.js';
import { handleSessionMessage } from './session-messages.js';
import { socketGuard } from './socket-guard.js';

/** A connection that has not authenticated by then is closed. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

type Stage =
  | { name: 'hello' }
  | { name: 'auth'; site: string; protocolVersion: string; publicKey: Uint8Array; challenge: Uint8Array; siteNonce: Uint8Array; channelBinding: Uint8Array; proof: Uint8Array }
  | { name: 'open'; session: Session };

export function handleConnection(ctx: CoordinatorContext, socket: Socket): void {
  let stage: Stage = { name: 'hello' };
  const timer = setTimeout(() => {
    ctx.logger.info({ stage: stage.name }, 'closing a connection that did not authenticate in time');
    socket.disconnect(true);
  }, HANDSHAKE_TIMEOUT_MS);

  const siteOf = (): string | undefined => (stage.name === 'hello' ? undefined : stage.name === 'auth' ? stage.site : stage.session.site);
  // Any throw in these handlers closes this connection only (socket-guard.ts).
  const contain = socketGuard({ logger: ctx.logger, metrics: transportRefusals(ctx.metrics, ctx.refusals) }, socket, () => ({ site: siteOf(), stage: stage.name }));

  socket.onAny(contain((event: string) => {
    if (event !== 'msg') refuse(ctx, socket, siteOf(), 'malformed', `unknown event; the protocol uses the single event 'msg'`, stage.name !== 'open');
  }));

  socket.on('msg', contain((data: unknown) => {
    if (stage.name === 'open') {
      handleSessionMessage(ctx, stage.session, data);
      return;
    }
    let envelope: Envelope;
    try {
      envelope = ctx.codec.decode(data as Uint8Array);
    } catch (error) {
      refuse(ctx, socket, siteOf(), refusalOf(error), (error as Error).message, true);
      return;
    }
    const next = stage.name === 'hello' ? onHello(ctx, socket, envelope) : onAuth(ctx, socket, stage, envelope);
    if (next) {
      stage = next;
      if (next.name === 'open') clearTimeout(timer);
    }
  }));

  socket.on('disconnect', contain((reason: string) => {
    clearTimeout(timer);
    if (stage.name === 'open') closeSession(ctx, stage.session);
    // A site that leaves the namespace has no use for its transport: close it rather than keep it without a handshake deadline.
    if (reason === 'client namespace disconnect') socket.conn.close();
  }));
}

function onHello(ctx: CoordinatorContext, socket: Socket, envelope: Envelope): Stage | undefined {
  if (envelope.type !== 'hello') {
    refuse(ctx, socket, undefined, 'unauthenticated', `expected hello, got ${envelope.type}`, true);
    return undefined;
  }
  const { site, publicKey } = envelope.body;
  const row = ctx.store.getSite(site);
  if (!row || row.publicKey !== publicKey) {
    refuse(ctx, socket, site, 'unknown_key', `site '${site}' is not enrolled with this public key`, true);
    return undefined;
  }
  if (row.status !== 'active') {
    refuse(ctx, socket, site, 'revoked', `site '${site}' has been revoked`, true);
    return undefined;
  }
  const challenge = createChallenge();
  const channel = channelBindingOf(socket);
  const siteNonce = envelope.body.nonce;
  // The coordinator proves its key first, over the site's nonce and this very channel.
  const proof = signCoordinatorProof(ctx.identity.secretKey, { site, siteNonce, challenge, channelBinding: channel.value });
  sendEnvelope(ctx, socket, createEnvelope('challenge', { challenge, coordinatorPublicKey: ctx.publicKeyText, binding: channel.binding, proof }));
  return { name: 'auth', site, protocolVersion: envelope.body.protocolVersion, publicKey: decodePublicKey(publicKey), challenge, siteNonce, channelBinding: channel.value, proof };
}

/**
 * The handshake's channel binding: under TLS terminated here, 32 bytes of the TLS exporter
 * (RFC 5705/8446) of this connection, which the site computes on its side of the same TLS
 * session; a relay in between has two sessions and two different values. Without TLS here
 * (plain HTTP, or TLS terminated by a proxy in front) there is nothing to bind to.
 */
function channelBindingOf(socket: Socket): { binding: 'tls-exporter' | 'none'; value: Uint8Array } {
  const raw = socket.request?.socket;
  if (raw instanceof TLSSocket) {
    return { binding: 'tls-exporter', value: new Uint8Array(raw.exportKeyingMaterial(CHANNEL_BINDING_BYTES, CHANNEL_BINDING_LABEL, Buffer.alloc(0))) };
  }
  return { binding: 'none', value: NO_CHANNEL_BINDING };
}

function onAuth(ctx: CoordinatorContext, socket: Socket, stage: Extract<Stage, { name: 'auth' }>, envelope: Envelope): Stage | undefined {
  const { site } = stage;
  if (envelope.type !== 'auth') {
    refuse(ctx, socket, site, 'unauthenticated', `expected auth, got ${envelope.type}`, true);
    return undefined;
  }
  if (envelope.body.site !== site) {
    refuse(ctx, socket, site, 'impersonation', `auth names site '${envelope.body.site}' but hello named '${site}'`, true);
    return undefined;
  }
  const input = {
    challenge: stage.challenge,
    site,
    coordinatorPublicKey: ctx.identity.publicKey,
    siteNonce: stage.siteNonce,
    proof: stage.proof,
    channelBinding: stage.channelBinding,
  };
  if (!verifyChallenge(stage.publicKey, input, envelope.body.signature)) {
    refuse(ctx, socket, site, 'bad_signature', 'the challenge signature does not verify with the enrolled key', true);
    return undefined;
  }
  // Revoked while the handshake was in flight?
  if (ctx.store.getSite(site)?.status !== 'active') {
    refuse(ctx, socket, site, 'revoked', `site '${site}' has been revoked`, true);
    return undefined;
  }
  const session: Session = {
    site,
    sessionId: randomBytes(16).toString('base64url'),
    socket,
    since: ctx.now(),
    ready: false,
    challenge: stage.challenge,
    statusSeq: 0,
    protocolVersion: stage.protocolVersion,
    models: new HeldModels<true>(),
    send: (env) => sendEnvelope(ctx, socket, env),
    sendFrame: (bytes) => sendFrame(socket, bytes),
  };
  const older = ctx.sessions.add(session);
  if (older) {
    ctx.logger.info({ site }, 'a newer connection replaces the older one');
    older.socket.disconnect(true);
    ctx.driver.siteLost(site);
  }
  ctx.metrics.connectedSites.set(ctx.sessions.size);
  touch(ctx, site);
  // Before welcome is sent: the site may send full-size frames as soon as it reads it.
  ctx.admission?.authenticated(socket);
  sendEnvelope(ctx, socket, createEnvelope('welcome', { site, sessionId: session.sessionId }));
  ctx.logger.info({ site }, 'site authenticated');
  return { name: 'open', session };
}

/** The session ended (disconnect, replacement, revocation, shutdown). */
function closeSession(ctx: CoordinatorContext, session: Session): void {
  if (!ctx.sessions.remove(session)) return;
  ctx.metrics.connectedSites.set(ctx.sessions.size);
  touch(ctx, session.site);
  ctx.logger.info({ site: session.site }, 'site disconnected');
  ctx.driver.siteLost(session.site);
}

function touch(ctx: CoordinatorContext, site: string): void {
  try {
    ctx.store.touchSite(site, ctx.now());
  } catch (error) {
    // Last-seen is informational; a closed store during shutdown must not throw from a socket event.
    ctx.logger.debug({ err: error, site }, 'could not record last-seen time');
  }
}

/** Every 2 s: a site revoked in the store (by the CLI, another process) loses its connection. */
export function sweepRevoked(ctx: CoordinatorContext): void {
  for (const session of ctx.sessions.list()) {
    if (ctx.store.getSite(session.site)?.status !== 'active') {
      refuse(ctx, session.socket, session.site, 'revoked', `site '${session.site}' has been revoked`, true);
    }
  }
}
