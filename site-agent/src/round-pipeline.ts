/**
 * One round/start to one signed answer. Before any work: the coordinator's
 * signature (pinned key), then the replay guard (persisted), then the weights
 * (inline, or reassembled from model/chunk messages and checked against the
 * signed hash). The round itself runs through SiteRunner, so the hospital's
 * policy is enforced first; rounds run one at a time, in arrival order.
 */
import type { Logger } from 'pino';
import { enforcePolicy, isSignedType, roundPrivacy, verifiedSignature, type SitePolicy, type SiteRunner } from '@cohortfl/protocol';
import {
  ChunkAssembler,
  CohortError,
  hashWeights,
  HeldModels,
  isCohortError,
  roundStartKey,
  type Envelope,
  type EnvelopeOf,
  type RoundStart,
  type SiteMessage,
} from '@cohortfl/wire';
import type { SiteMetrics } from './metrics.js';
import { reasonOf } from './reasons.js';
import { refusalFor, signedReply, signedReplyDigest } from './replies.js';
import type { SiteState, StateStore } from './state-store.js';
import type { TaskRegistry } from './task-registry.js';
import { runOf } from './signed-messages.js';

export interface RoundPipelineOptions {
  site: string;
  secretKey: Uint8Array;
  coordinatorKey: Uint8Array;
  tasks: TaskRegistry;
  policy: SitePolicy;
  /** The policy sets a privacy budget: rounds without DP are refused (by SiteRunner). */
  requireDp?: boolean;
  state: SiteState;
  store: StateStore;
  metrics: SiteMetrics;
  logger: Logger;
  maxModelBytes: number;
  /** Sends on the connection the round arrived on; undefined when it is gone. */
  send(envelope: ReturnType<typeof signedReply>, connection: number): number | undefined;
  /**
   * Keeps the site's own record of a signed message, durably, before it is sent
   * (signed-messages.ts); throws when it cannot, and the message is then not sent.
   */
  /**
   * `digest`: what the envelope's signature covers (signEnvelopeDigest), kept in the record.
   * `undelivered`: a second record, after the fact, that the message was never sent (its
   * connection was gone), so an audit log without it is no sign of a deletion.
   */
  keepRecord(envelope: Envelope, start: RoundStart, digest: Uint8Array, undelivered?: boolean): void;
  /**
   * Keeps the site's record of a coordinator-signed message (coordinator-messages.ts), durably,
   * before the site acts on it; throws when it cannot, and the site then refuses the round.
   */
  keepEvidence(envelope: Envelope, start: RoundStart, bodyHash?: Uint8Array): void;
  /** Counts, logs and answers a refused coordinator message. */
  reject(reason: string, error: CohortError, connection: number): void;
  onReply?(reply: SiteMessage, delivered: boolean): void;
}

/**
 * The replay scope of a round: its task, and the run when the coordinator names
 * one in the signed round config (`runId`). Without it, a later run of the same
 * task restarting at round 1 would look like a replay of the earlier run.
 */
export function replayScope(start: RoundStart): string {
  const run = start.config['runId'];
  return typeof run === 'string' || typeof run === 'number' ? `${start.taskHash}/${String(run)}` : start.taskHash;
}

/** Coordinates of noise pre-drawn per turn of the event loop (about 10 ms). */
const NOISE_SLICE = 65_536;

interface Pending {
  start: RoundStart;
  assembler: ChunkAssembler;
  receivedAt: number;
  connection: number;
}

export class RoundPipeline {
  private pending: Pending | undefined;
  /** A chunked round refused before assembly: its chunks are dropped quietly. */
  private discard: { taskHash: string; round: number; attempt: number } | undefined;
  private queue: Promise<void> = Promise.resolve();
  /** The train round/start of the secure aggregation round in progress (its steps follow it). */
  private secureStart: RoundStart | undefined;
  /** Train start time of the latest round attempt, for the whole-round duration. */
  private trainStarted: { key: string; at: number } | undefined;
  private preDrawing = false;
  /**
   * The models this site holds (held-models in @cohortfl/wire): a round/start may name one by
   * its SHA-256 instead of carrying it again. Kept for the life of the process, across
   * reconnections; the coordinator's view of it starts empty with every session.
   */
  readonly models = new HeldModels<Float32Array>();

  constructor(private readonly options: RoundPipelineOptions) {}

  /** Resolves when every round queued so far has been answered. */
  idle(): Promise<void> {
    return this.queue;
  }

  /** `received`: the body's bytes as they arrived, which the signature covers (else the body is packed again). */
  onRoundStart(envelope: EnvelopeOf<'round/start'>, connection: number, received?: Uint8Array): void {
    const { options } = this;
    const start = envelope.body;
    const verified = verifiedSignature(options.coordinatorKey, envelope, undefined, received);
    if (!verified) {
      options.reject('bad_signature', new CohortError('SIGNATURE_INVALID', 'round/start signature does not verify against the pinned coordinator key'), connection);
      return;
    }
    const receivedAt = performance.now();
    const scope = replayScope(start);
    const check = {
      site: scope,
      round: start.round,
      attempt: start.attempt,
      phase: start.phase,
      digest: verified.digest,
    };
    const verdict = options.state.replay.check(check);
    if (!verdict.ok) {
      const error = new CohortError('REPLAYED', `round ${start.round} attempt ${start.attempt} ${start.phase} was already seen or is older than one seen`);
      options.reject(verdict.reason.toLowerCase(), error, connection);
      this.answer(refusalFor(start, options.site, error.toWire()), start, receivedAt, connection);
      return;
    }
    // The record of the announcement is the replay guard's journal (replay-journal.ts): once it
    // is durable, a restart after a crash refuses this round/start again, so the guard accepts
    // it only then, and state.json is not rewritten for every announcement.
    if (!this.evidenceKept(envelope, start, receivedAt, connection, verified.bodyHash)) return;
    options.state.replay.accept(check);
    options.state.lastRound = { taskHash: start.taskHash, round: start.round, attempt: start.attempt, phase: start.phase, at: new Date().toISOString() };
    if (this.pending) {
      options.logger.warn({ task: this.pending.start.taskHash, round: this.pending.start.round, reason: 'superseded' }, 'chunked model superseded by a newer round/start');
      this.pending = undefined;
    }
    this.discard = undefined;
    if (start.weightsChunks !== undefined && start.weightsHash !== undefined) {
      const held = this.models.get(start.weightsHash);
      if (held !== undefined) {
        // This site holds the announced model (protocol 2.1: the coordinator sends no chunks then);
        // chunks that come anyway (a coordinator that did not know) are dropped quietly.
        this.discard = { taskHash: start.taskHash, round: start.round, attempt: start.attempt };
        this.enqueue({ ...start, weights: held }, receivedAt, connection, start.weightsHash);
        return;
      }
      if (!this.worthAssembling(start)) {
        // The policy (or a missing manifest) refuses this round: answer now, without receiving the model.
        this.discard = { taskHash: start.taskHash, round: start.round, attempt: start.attempt };
        this.enqueue(start, receivedAt, connection);
        return;
      }
      const expect = { taskHash: start.taskHash, round: start.round, attempt: start.attempt, hash: start.weightsHash, total: start.weightsChunks };
      this.pending = { start, assembler: new ChunkAssembler({ maxBytes: options.maxModelBytes, expect }), receivedAt, connection };
      return;
    }
    this.enqueue(start, receivedAt, connection);
  }

  onModelChunk(envelope: EnvelopeOf<'model/chunk'>, connection: number): void {
    const pending = this.pending;
    const chunk = envelope.body;
    if (pending === undefined && this.discard?.taskHash === chunk.taskHash && this.discard.round === chunk.round && this.discard.attempt === chunk.attempt) {
      return;
    }
    if (pending === undefined) {
      this.options.reject('unexpected', new CohortError('MESSAGE_INVALID', 'model/chunk without a chunked round/start'), connection);
      return;
    }
    let weights: Float32Array | undefined;
    try {
      weights = pending.assembler.accept(envelope.body);
    } catch (error) {
      this.pending = undefined;
      // The round is refused once; the rest of its chunks are dropped quietly.
      this.discard = { taskHash: pending.start.taskHash, round: pending.start.round, attempt: pending.start.attempt };
      const e = isCohortError(error) ? error : new CohortError('MESSAGE_INVALID', 'model chunk refused', { cause: error });
      this.options.reject(reasonOf(e), e, connection);
      this.answer(refusalFor(pending.start, this.options.site, e.toWire()), pending.start, pending.receivedAt, pending.connection);
      return;
    }
    if (weights === undefined) return;
    this.pending = undefined;
    this.enqueue({ ...pending.start, weights }, pending.receivedAt, pending.connection, pending.start.weightsHash);
  }

  /**
   * A secure aggregation step (roster, relayed shares, unmask request). Every signed step (the
   * roster, the unmask request, any signed type added later) must carry the pinned coordinator's
   * signature and is recorded before it is acted on; the runner itself checks that the step
   * belongs to its current secure round and refuses anything else.
   */
  onSecureStep(envelope: EnvelopeOf<'secagg/roster' | 'secagg/relay' | 'secagg/survivors' | 'secagg/unmask'>, connection: number, received?: Uint8Array): void {
    const { options } = this;
    const body = envelope.body;
    const signed = isSignedType(envelope.type);
    // Bound to the run of the round/start this secure round follows.
    const run = this.secureStart ? runOf(this.secureStart) : null;
    const verified = signed ? verifiedSignature(options.coordinatorKey, envelope as Envelope, run, received) : undefined;
    if (signed && !verified) {
      options.reject('bad_signature', new CohortError('SIGNATURE_INVALID', `${envelope.type} signature does not verify against the pinned coordinator key`), connection);
      return;
    }
    const start = this.secureStart;
    if (!start || start.taskHash !== body.taskHash || start.round !== body.round || start.attempt !== body.attempt) {
      options.reject('replayed', new CohortError('REPLAYED', `${envelope.type} for round ${body.round} attempt ${body.attempt} does not belong to this site's current secure round`), connection);
      return;
    }
    const receivedAt = performance.now();
    if (signed && !this.evidenceKept(envelope as Envelope, start, receivedAt, connection, verified?.bodyHash)) {
      this.secureStart = undefined;
      return;
    }
    this.queue = this.queue
      .then(async () => {
        const runner = options.tasks.runnerFor(start.taskHash, replayScope(start));
        const reply = await runner.handle(body);
        if (reply.type === 'secagg/reveal' || reply.type === 'round/refuse') this.secureStart = undefined;
        this.answer(reply, start, receivedAt, connection);
        // The round is over for this site: draw the next one's noise while it waits.
        if (reply.type === 'secagg/reveal') this.preDrawNoise(runner);
      })
      .catch((error: unknown) => options.logger.error({ err: error, task: start.taskHash, round: start.round }, 'secure aggregation step failed'));
  }

  /**
   * Pre-draws the next secure DP round's noise (SiteRunner.prepareNoise) in slices of
   * NOISE_SLICE coordinates, one per turn of the event loop, so messages keep flowing.
   */
  private preDrawNoise(runner: SiteRunner): void {
    if (this.preDrawing) return;
    this.preDrawing = true;
    const step = (): void => {
      let done = true;
      try {
        done = runner.prepareNoise(NOISE_SLICE);
      } catch (error) {
        this.options.logger.warn({ err: error }, 'noise not drawn ahead; the next round draws its own');
      }
      if (done) this.preDrawing = false;
      else setImmediate(step);
    };
    setImmediate(step);
  }

  /**
   * Records a coordinator-signed message before acting on it. When the record cannot be kept,
   * the site does not act: the message is refused and the round answered with a refusal.
   */
  private evidenceKept(envelope: Envelope, start: RoundStart, receivedAt: number, connection: number, bodyHash?: Uint8Array): boolean {
    const { options } = this;
    try {
      options.keepEvidence(envelope, start, bodyHash);
      return true;
    } catch (error) {
      options.logger.error({ err: error, type: envelope.type, round: start.round }, 'coordinator message not recorded, so not acted on; refusing the round');
      // The wire never carries the site's paths.
      const wire = { code: 'INTERNAL' as const, message: `the site could not record the coordinator-signed ${envelope.type}, so it did not act on it` };
      options.reject('unrecorded', new CohortError(wire.code, wire.message), connection);
      this.answer(refusalFor(start, options.site, wire), start, receivedAt, connection);
      return false;
    }
  }

  /** Whether SiteRunner would get past the policy and the manifest check for this round. */
  private worthAssembling(start: RoundStart): boolean {
    if (!this.options.tasks.has(start.taskHash)) return false;
    try {
      enforcePolicy(this.options.policy, start);
      // A train round without DP at a site with a budget is refused: no need for its model.
      return !(this.options.requireDp && start.phase === 'train' && roundPrivacy(start.config) === undefined);
    } catch {
      return false;
    }
  }

  /** `modelHash`: SHA-256 of `start.weights` when already known (chunked, by reference); else computed here. */
  private enqueue(start: RoundStart, receivedAt: number, connection: number, modelHash?: string): void {
    this.queue = this.queue
      .then(async () => {
        if (start.weights.length > 0) this.models.offer(roundStartKey(start), modelHash ?? hashWeights(start.weights), start.weights);
        const reply = await this.options.tasks.runnerFor(start.taskHash, replayScope(start)).handle(start);
        this.secureStart = reply.type === 'secagg/keys' ? start : undefined;
        this.answer(reply, start, receivedAt, connection);
      })
      .catch((error: unknown) => this.options.logger.error({ err: error, task: start.taskHash, round: start.round }, 'round handling failed'));
  }

  /** Signs and sends the answer; never throws (it runs inside socket event handlers). */
  private answer(reply: SiteMessage, start: RoundStart, receivedAt: number, connection: number): void {
    const { options } = this;
    let unrecorded = false;
    // A site never signs what it cannot later verify: the record is kept before the message leaves.
    const sendSigned = (message: SiteMessage): number | undefined => {
      const { envelope, digest } = signedReplyDigest(options.secretKey, message, runOf(start));
      try {
        options.keepRecord(envelope, start, digest);
      } catch (error) {
        unrecorded = true;
        throw error;
      }
      const sent = options.send(envelope, connection);
      if (sent === undefined) {
        try {
          options.keepRecord(envelope, start, digest, true);
        } catch (error) {
          options.logger.warn({ err: error, type: message.type, round: start.round }, 'could not record that the answer was not sent');
        }
      }
      return sent;
    };
    let message = reply;
    let bytes: number | undefined;
    try {
      bytes = sendSigned(message);
    } catch (error) {
      // Unrecorded, or unencodable (e.g. an update larger than the frame limit): refuse instead.
      const e = isCohortError(error) ? error : new CohortError('INTERNAL', 'the answer could not be encoded', { cause: error });
      const what = unrecorded ? 'answer not recorded in the signed-message record, so not sent' : 'answer not sendable';
      options.logger.error({ reason: reasonOf(e), code: e.code, err: e.message, type: message.type, round: start.round }, `${what}; refusing the round`);
      // The wire never carries the site's paths.
      const wire = unrecorded ? { code: 'INTERNAL' as const, message: 'the site could not record its answer, so it did not send it' } : e.toWire();
      message = refusalFor(start, options.site, wire);
      try {
        bytes = sendSigned(message);
      } catch (again) {
        options.logger.error({ err: again, round: start.round }, 'refusal not sendable either; nothing sent for this round');
      }
    }
    const delivered = bytes !== undefined;
    // The first answer to a round/start, other than a refusal: the site now holds its model,
    // as the coordinator will count it once it accepts this answer.
    if (delivered && (message.type === 'update/submit' || message.type === 'secagg/keys' || message.type === 'eval/result')) {
      this.models.answered(roundStartKey(start));
    }
    this.record(message, start, receivedAt, delivered, bytes ?? 0);
    options.onReply?.(message, delivered);
  }

  private record(reply: SiteMessage, start: RoundStart, receivedAt: number, delivered: boolean, bytes: number): void {
    const { metrics, logger } = this.options;
    const now = performance.now();
    const outcome = !delivered ? 'undelivered' : reply.type === 'round/refuse' ? 'refused' : 'completed';
    // A secure train phase answers four times; it counts once, at its reveal (or its refusal).
    const intermediate = reply.type === 'secagg/keys' || reply.type === 'secagg/shares' || reply.type === 'secagg/masked' || reply.type === 'secagg/attest';
    if (!intermediate || outcome !== 'completed') metrics.rounds.inc({ phase: start.phase, outcome });
    metrics.phaseDuration.observe({ phase: reply.type.startsWith('secagg/') ? reply.type : start.phase }, (now - receivedAt) / 1000);
    if ((reply.type === 'update/submit' || reply.type === 'secagg/masked') && delivered) metrics.updateBytes.inc(bytes);
    const key = `${start.taskHash}:${start.round}:${start.attempt}`;
    if (start.phase === 'train') {
      if (reply.type === 'update/submit' || reply.type === 'secagg/keys' || reply.type === 'round/refuse') this.trainStarted = { key, at: receivedAt };
    }
    else if (this.trainStarted?.key === key) {
      if (outcome === 'completed') metrics.roundDuration.observe((now - this.trainStarted.at) / 1000);
      this.trainStarted = undefined;
    }
    const fields = { task: start.taskHash, round: start.round, attempt: start.attempt, phase: start.phase, outcome };
    if (reply.type === 'round/refuse') logger.warn({ ...fields, reason: reply.error.code.toLowerCase(), message: reply.error.message }, 'round refused');
    else if (!delivered) logger.warn({ ...fields, reason: 'connection_lost' }, 'answer not sent: the connection it belongs to closed');
    else logger.info({ ...fields, ...('numExamples' in reply ? { numExamples: reply.numExamples } : {}), ...(bytes ? { bytes } : {}) }, `${reply.type} sent`);
  }

  /** Writes the replay guard's checkpoint (state.json); the journal covers what came after it. */
  checkpoint(): void {
    try {
      this.options.store.save(this.options.state);
    } catch (error) {
      // The in-memory guard still protects this process; only a restart would forget.
      this.options.logger.error({ err: error, path: this.options.store.path }, 'cannot save the site state');
    }
  }
}
