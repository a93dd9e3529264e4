/**
 * The validation pipeline for every message after welcome, in the contract's order:
 * decode → sender is the authenticated site → site still active → signature by the
 * enrolled key → replay guard → update shape and finiteness → the round engine.
 * A refusal is answered, logged and counted; the connection stays open.
 */
import { auditDigestHex, decodePublicKey, statusContext, verifyPayload } from '@cohortfl/identity';
import { signingContext, verifiedDigest } from '@cohortfl/protocol';
import { checkUpdate, roundStartKey, type Envelope, type SiteMessage, type SiteStatus } from '@cohortfl/wire';
import { AUDIT_KINDS, tryAppendAudit } from './audit/audit-log.js';
import { refuse, type CoordinatorContext } from './context.js';
import { refusalOf, refusalOfReject, type Refusal } from './refusals.js';
import type { Session } from './session-registry.js';
import { readSiteEpsilon, recordSiteEpsilon } from './site-epsilon.js';
import { recordSiteProfile } from './site-profile.js';

type RoundEnvelope = Extract<
  Envelope,
  { type: 'update/submit' | 'eval/result' | 'round/refuse' | 'secagg/keys' | 'secagg/shares' | 'secagg/masked' | 'secagg/attest' | 'secagg/reveal' }
>;

export function handleSessionMessage(ctx: CoordinatorContext, session: Session, data: unknown): void {
  // A replaced connection's late frames are not the site's current voice.
  if (!ctx.sessions.isCurrent(session)) return;
  const no = (reason: Refusal, message: string, close = false) => refuse(ctx, session.socket, session.site, reason, message, close);
  let envelope: Envelope;
  // The body's bytes as received: what the site's signature covers, hashed as they are.
  let received: Uint8Array;
  try {
    ({ envelope, body: received } = ctx.codec.decodeReceived(data as Uint8Array));
  } catch (error) {
    no(refusalOf(error), (error as Error).message);
    return;
  }
  switch (envelope.type) {
    case 'status': {
      // A status speaks for the site (readiness, ε spent, its policy): only the site's key,
      // bound to this session's challenge and a growing sequence number, may sign it.
      const row = ctx.store.getSite(session.site);
      const seq = envelope.body.seq;
      const signed =
        row !== undefined &&
        envelope.sig instanceof Uint8Array &&
        verifyPayload(decodePublicKey(row.publicKey), statusContext(session.site, session.challenge, seq), received, envelope.sig);
      if (!signed) return no('bad_signature', 'status is not signed by the site for this session');
      if (seq <= session.statusSeq) return no('replayed', `status ${seq} is not newer than status ${session.statusSeq} of this session`);
      session.statusSeq = seq;
      onStatus(ctx, session, envelope.body);
      return;
    }
    case 'error':
      ctx.logger.warn({ site: session.site, code: envelope.body.code }, `site reported: ${envelope.body.message}`);
      return;
    case 'update/submit':
    case 'secagg/masked':
      ctx.metrics.updateBytes.inc((data as Uint8Array).byteLength);
      ctx.driver.countUpdateBytes((data as Uint8Array).byteLength);
      roundMessage(ctx, session, envelope, received, no);
      return;
    case 'eval/result':
    case 'round/refuse':
    case 'secagg/keys':
    case 'secagg/shares':
    case 'secagg/attest':
    case 'secagg/reveal':
      roundMessage(ctx, session, envelope, received, no);
      return;
    default:
      no('unexpected', `a site may not send ${envelope.type} in an open session`);
  }
}

/**
 * `status {ready, epsilonSpent?}`: a site may say it is ready, or no longer ready (its
 * privacy budget is spent, its hospital paused it); only ready sites are selected.
 */
function onStatus(ctx: CoordinatorContext, session: Session, body: SiteStatus): void {
  const { site } = session;
  const wasReady = session.ready;
  session.ready = body.ready;
  if (body.epsilonSpent !== undefined) {
    try {
      const before = readSiteEpsilon(ctx.store, site)?.epsilonSpent;
      recordSiteEpsilon(ctx.store, ctx.metrics, site, body.epsilonSpent, ctx.now());
      // Privacy spent is an audited event each time it changes (the site's ledger is the authority).
      if (before !== body.epsilonSpent) {
        tryAppendAudit(ctx.store, ctx.identity, ctx.logger, {
          at: ctx.now(),
          kind: AUDIT_KINDS.PRIVACY_REPORTED,
          site,
          data: { epsilonSpent: body.epsilonSpent, ...(body.epsilonBudget === undefined ? {} : { epsilonBudget: body.epsilonBudget }) },
        });
      }
    } catch (error) {
      ctx.logger.error({ err: error, site }, 'could not store the ε the site reported');
    }
  }
  try {
    recordSiteProfile(ctx.store, site, body, ctx.now());
  } catch (error) {
    ctx.logger.error({ err: error, site }, 'could not store the policy summary the site reported');
  }
  ctx.sessions.changed();
  const fields = { site, ready: body.ready, ...(body.epsilonSpent === undefined ? {} : { epsilonSpent: body.epsilonSpent }) };
  if (wasReady && !body.ready) ctx.logger.warn({ ...fields, reason: 'not_ready' }, 'site reports it is no longer ready; it is not selected for rounds');
  else ctx.logger.info(fields, 'site status');
  if (body.ready) ctx.driver.siteReady(site);
}

function roundMessage(
  ctx: CoordinatorContext,
  session: Session,
  envelope: RoundEnvelope,
  received: Uint8Array,
  no: (reason: Refusal, message: string, close?: boolean) => void,
): void {
  const site = session.site;
  const body = envelope.body;
  if (body.site !== site) return no('impersonation', `message names site '${body.site}' but the session is '${site}'`);
  const row = ctx.store.getSite(site);
  if (row?.status !== 'active') return no('revoked', `site '${site}' has been revoked`, true);
  // The digest the signature covers, computed once: the replay guard and the audit entry reuse it.
  // Round messages are signed for a run: one from an earlier run of the task does not verify.
  const active = ctx.driver.current;
  const run = active?.row.id;
  const digest = verifiedDigest(decodePublicKey(row.publicKey), envelope, run, received);
  if (!digest) {
    return no('bad_signature', `${envelope.type} signature does not verify with the enrolled key of '${site}' for the running run`);
  }
  const context = signingContext(envelope, run);
  // From here on the refusal names the message the site signed, so the site's own record of it
  // finds it in the log (received and refused, not left out).
  const named = { run: active?.row.id ?? null, type: envelope.type, round: body.round, attempt: body.attempt, phase: context.phase, digest: auditDigestHex(digest) };
  const refused = (reason: Refusal, message: string, close = false) => refuse(ctx, session.socket, site, reason, message, close, named);
  // Checked before the replay guard so another task's round numbers cannot advance this run's guard.
  if (!active || body.taskHash !== active.taskRow.hash) return refused('wrong_task', 'the message is not for the running task');
  // A message for any round or attempt other than the current one is a replay, whether or
  // not the guard has seen its exact bytes before.
  const now = active.run.status;
  if (body.round !== now.round || body.attempt !== now.attempt) {
    return refused('replayed', `${envelope.type} for round ${body.round} attempt ${body.attempt}; the current is round ${now.round} attempt ${now.attempt}`);
  }
  const replay = { site, round: body.round, attempt: body.attempt, phase: context.phase, digest };
  const verdict = active.guard.check(replay);
  if (!verdict.ok) {
    return refused(verdict.reason === 'REPLAYED' ? 'replayed' : 'duplicate', `${envelope.type} for round ${body.round} attempt ${body.attempt} was already superseded or seen`);
  }
  // A refused update must not use up the site's one answer for this phase: the guard
  // records a message only once it has passed every check.
  if (envelope.type === 'update/submit') {
    try {
      checkUpdate(envelope.body.update, active.run.globalWeights.length);
    } catch (error) {
      return refused(refusalOf(error), (error as Error).message);
    }
  }
  // Likewise a secure aggregation body (masked length, shares, reveals, attestation) is checked
  // against the current step first: a refused one leaves the site free to send the right one.
  const unfit = active.run.check(site, body as SiteMessage);
  if (unfit) return refused(refusalOfReject(unfit.reason), unfit.message);
  active.guard.accept(replay);
  // The site's answer to a round/start: from now on it holds the model that start carried.
  if (envelope.type === 'round/refuse') session.models.forget();
  else if (envelope.type === 'update/submit' || envelope.type === 'secagg/keys' || envelope.type === 'eval/result') {
    session.models.answered(roundStartKey({ taskHash: body.taskHash, round: body.round, attempt: body.attempt, phase: context.phase === 'evaluate' ? 'evaluate' : 'train' }));
  }
  tryAppendAudit(ctx.store, ctx.identity, ctx.logger, {
    at: ctx.now(),
    kind: AUDIT_KINDS.MESSAGE_ACCEPTED,
    site,
    data: {
      run: active.row.id,
      type: envelope.type,
      round: body.round,
      attempt: body.attempt,
      phase: context.phase,
      digest: auditDigestHex(replay.digest),
      // The site's own Ed25519 signature over that digest: anyone holding the enrolled key can check it.
      ...(envelope.sig ? { sig: Buffer.from(envelope.sig).toString('base64') } : {}),
      // A policy refusal says why, in the site's words.
      ...(envelope.type === 'round/refuse' ? { refusal: { code: envelope.body.error.code, message: envelope.body.error.message } } : {}),
    },
  });
  for (const rejected of ctx.driver.receive(site, body as SiteMessage)) refused(refusalOfReject(rejected.reason), rejected.message);
}
