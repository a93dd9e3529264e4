/**
 * Drives the active run: feeds CoordinatorRun with the ready sites, the messages
 * that passed validation, site losses and the clock, and carries out its actions
 * (send round/start, arm the phase deadline, persist completed rounds BEFORE the
 * next one starts, retry failed attempts after retryDelayMs, finish the run).
 * All round logic stays in @cohortfl/protocol.
 */
import { ReplayGuard, type Identity } from '@cohortfl/identity';
import { isSignedType, signEnvelope, type CoordinatorAction, type CoordinatorRun, type RejectReason } from '@cohortfl/protocol';
import type { Task } from '@cohortfl/sdk';
import type { Strategy } from '@cohortfl/strategies';
import {
  CohortError,
  createCodec,
  createEnvelope,
  isCohortError,
  MODEL_REFERENCE_VERSION,
  parseEnvelope,
  roundStartKey,
  versionAtLeast,
  type Envelope,
  type Phase,
  type SiteMessage,
} from '@cohortfl/wire';
import { AUDIT_KINDS, flushAudit, tryAppendAudit } from './audit/audit-log.js';
import type { ChangeFeed } from './change-feed.js';
import type { CoordinatorConfig } from './config.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { Deadline } from './deadline.js';
import { setEvalGauges } from './eval-gauges.js';
import { refusalOfReject } from './refusals.js';
import { RoundStartFrames } from './round-start.js';
import { markInterrupted, setupRun, taskOf, timeoutsMs, type RunSetup } from './run-setup.js';
import type { SessionRegistry } from './session-registry.js';
import type { RunRow, Store, TaskRow } from './store/index.js';

export interface RunDriverDeps {
  store: Store;
  sessions: SessionRegistry;
  identity: Identity;
  config: CoordinatorConfig;
  logger: Logger;
  metrics: Metrics;
  /** Told of every phase, round and run change (the dashboard's live view). */
  feed?: ChangeFeed;
  now?: () => number;
}

export interface ActiveRun {
  row: RunRow;
  taskRow: TaskRow;
  task: Task;
  strategy: Strategy;
  run: CoordinatorRun;
  /** Per run: round numbers restart at 1 in every run. */
  guard: ReplayGuard;
  phase: { phase: Phase; at: number } | undefined;
  /** When the open phase's deadline falls (ms since epoch), for the operator's view. */
  deadlineAt: number | undefined;
  /** Update bytes received in the current attempt; stored with the round as trainMetrics.bytesReceived. */
  bytes: number;
}

/** Polling for ready sites never runs hotter than this, even with retryDelayMs 0. */
const MIN_WAIT_MS = 50;

export class RunDriver {
  private active: ActiveRun | undefined;
  private starting = false;
  private stopped = false;
  private readonly queue: CoordinatorAction[] = [];
  private readonly lost = new Set<string>();
  private draining = false;
  private startWanted = false;
  private readonly deadline: Deadline;
  private waitTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly starts: RoundStartFrames;
  private readonly now: () => number;

  constructor(private readonly deps: RunDriverDeps) {
    const codec = createCodec({ maxMessageBytes: deps.config.limits.maxMessageBytes });
    this.starts = new RoundStartFrames(deps.identity.secretKey, deps.config.limits.chunkBytes, codec);
    this.now = deps.now ?? Date.now;
    this.deadline = new Deadline(this.now, (now) => {
      if (this.active) this.dispatch(this.active.run.tick(now));
    });
  }

  get current(): ActiveRun | undefined {
    return this.active;
  }

  /** At start-up: continue the store's running run, if any, from its last checkpoint. */
  async resume(): Promise<void> {
    const { store, logger } = this.deps;
    const row = store.activeRun();
    if (!row) return;
    const taskRow = store.getTask(row.taskHash);
    if (!taskRow) throw new CohortError('INTERNAL', `run ${row.id} names task ${row.taskHash}, which the store does not hold`);
    const at = this.now();
    markInterrupted(store, row.id, at);
    const setup = await setupRun(store, this.deps.config, row, taskRow);
    if (setup.run.finished) {
      // Stopped between saving the last round and finishing the run.
      store.finishRun(row.id, { status: 'completed', at });
      return;
    }
    logger.info({ run: row.id, task: taskRow.name, round: setup.completedRounds + 1, attempt: setup.firstAttempt }, 'resuming run');
    this.activate(row, taskRow, setup);
  }

  /** POST /api/runs: create the run, announce its task, start round 1 when enough sites are ready. */
  async startRun(taskRef: string, rounds?: number, holdOut: string[] = []): Promise<RunRow> {
    const { store, config } = this.deps;
    if (this.stopped) throw new CohortError('INTERNAL', 'the coordinator is shutting down');
    const running = this.active?.row ?? store.activeRun();
    if (running || this.starting) {
      throw new CohortError('CONFIG_INVALID', `${running ? `run ${running.id}` : 'a run'} is still running; one run at a time`, {
        details: { httpStatus: 409 },
      });
    }
    const taskRow = store.findTask(taskRef);
    if (!taskRow) throw new CohortError('NOT_FOUND', `no published task is named or hashed '${taskRef}'`);
    const task = taskOf(taskRow);
    this.starting = true;
    try {
      for (const site of holdOut) {
        if (!store.getSite(site)) throw new CohortError('NOT_FOUND', `held-out site '${site}' is not enrolled`);
      }
      const runConfig = { timeoutMs: timeoutsMs(config, task), chunkBytes: config.limits.chunkBytes, retryDelayMs: config.retryDelayMs, holdOut };
      const row = store.createRun({ taskHash: taskRow.hash, rounds: rounds ?? task.rounds, config: runConfig, at: this.now() });
      try {
        const setup = await setupRun(store, config, row, taskRow);
        // Logged before activation, which may start round 1 and accept its messages.
        tryAppendAudit(store, this.deps.identity, this.deps.logger, {
          at: row.createdAt,
          kind: AUDIT_KINDS.RUN_STARTED,
          data: { run: row.id, taskHash: taskRow.hash, task: taskRow.name, version: taskRow.version, rounds: row.rounds, holdOut },
        });
        this.activate(row, taskRow, setup);
      } catch (error) {
        // Read-only dashboards show this message: an unexpected error's text (paths, internals) stays in the log.
        const message = isCohortError(error) ? error.message : 'the run could not be set up; see the coordinator log';
        if (!isCohortError(error)) this.deps.logger.error({ err: error, run: row.id }, 'run setup failed');
        store.finishRun(row.id, { status: 'aborted', at: this.now(), message });
        throw error;
      }
      return row;
    } finally {
      this.starting = false;
    }
  }

  /**
   * The operator stops the running run: its open attempt fails, the run ends 'aborted'
   * with the reason, and late answers to it are refused as being for no active run.
   * The checkpoints saved so far stay in the store.
   */
  stopRun(runId: number, reason = 'stopped by the operator'): RunRow {
    const { store, identity, logger, metrics } = this.deps;
    const row = store.getRun(runId);
    if (!row) throw new CohortError('NOT_FOUND', `no run ${runId}`);
    if (row.status !== 'running') throw new CohortError('CONFIG_INVALID', `run ${runId} is already ${row.status}`, { details: { httpStatus: 409 } });
    const at = this.now();
    const a = this.active?.row.id === runId ? this.active : undefined;
    if (a) {
      this.clearTimers();
      const { round, attempt, phase } = a.run.status;
      if (phase !== 'idle' && phase !== 'done') {
        try {
          store.failAttempt({ runId, round, attempt, at, code: 'STOPPED', message: reason });
        } catch (error) {
          logger.warn({ err: error, run: runId, round, attempt }, 'could not mark the open attempt failed');
        }
      }
      this.endPhase(a);
      this.active = undefined;
      metrics.currentRound.set(0);
    }
    const stopped = store.finishRun(runId, { status: 'aborted', at, message: reason });
    tryAppendAudit(store, identity, logger, { at, kind: AUDIT_KINDS.RUN_STOPPED, data: { run: runId, reason } });
    logger.warn({ run: runId, reason }, 'run stopped');
    this.changed();
    return stopped;
  }

  /** Update frames received, counted towards the open attempt. */
  countUpdateBytes(bytes: number): void {
    if (this.active) this.active.bytes += bytes;
  }

  private changed(): void {
    this.deps.feed?.notify();
  }

  /** The `task/manifest` of the active run, for a site that just became ready. */
  manifestEnvelope(): Envelope | undefined {
    const a = this.active;
    return a && createEnvelope('task/manifest', { hash: a.taskRow.hash, json: a.taskRow.manifestJson });
  }

  siteReady(site: string): void {
    const manifest = this.manifestEnvelope();
    if (manifest) this.deps.sessions.get(site)?.send(manifest);
    this.tryStart();
  }

  siteLost(site: string): void {
    const a = this.active;
    if (a && !this.stopped) this.dispatch(a.run.siteLost(this.now(), site));
  }

  /** A validated round message; returns the engine's refusals for the caller to answer. */
  receive(site: string, message: SiteMessage): { reason: RejectReason; message: string }[] {
    const a = this.active;
    if (!a || this.stopped) return [{ reason: 'WRONG_TASK', message: 'no run is active' }];
    const actions = a.run.receive(this.now(), site, message);
    const rejected = actions.flatMap((x) => (x.kind === 'rejected' ? [{ reason: x.reason, message: x.message }] : []));
    this.dispatch(actions.filter((x) => x.kind !== 'rejected'));
    return rejected;
  }

  /** Stop timers; the store keeps the run 'running' so the next start resumes it. */
  stop(): void {
    this.stopped = true;
    this.clearTimers();
  }

  private clearTimers(): void {
    this.deadline.clear();
    for (const t of [this.waitTimer, this.retryTimer]) if (t) clearTimeout(t);
    this.waitTimer = this.retryTimer = undefined;
  }

  private activate(row: RunRow, taskRow: TaskRow, setup: RunSetup): void {
    this.active = { row, taskRow, task: setup.task, strategy: setup.strategy, run: setup.run, guard: new ReplayGuard(), phase: undefined, deadlineAt: undefined, bytes: 0 };
    this.changed();
    this.deps.metrics.currentRound.set(setup.run.status.round);
    const manifest = this.manifestEnvelope()!;
    for (const session of this.deps.sessions.list()) session.send(manifest);
    this.tryStart();
  }

  private tryStart(): void {
    const a = this.active;
    if (!a || this.stopped || this.draining || a.run.finished || a.run.status.phase !== 'idle' || this.retryTimer) return;
    const ready = this.deps.sessions.readySites();
    if (ready.length < a.task.minSites) {
      if (!this.waitTimer) {
        this.waitTimer = setTimeout(() => {
          this.waitTimer = undefined;
          this.tryStart();
        }, Math.max(this.deps.config.retryDelayMs, MIN_WAIT_MS));
      }
      return;
    }
    if (this.waitTimer) clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
    const now = this.now();
    const { round, attempt } = a.run.status;
    this.guarded(() => {
      this.deps.store.startAttempt({ runId: a.row.id, round, attempt, at: now });
      this.dispatch(a.run.startRound(now, ready));
    });
  }

  private dispatch(actions: CoordinatorAction[]): void {
    // After stop() nothing more is written: a closing server's disconnects must not fail rounds.
    if (this.stopped) return;
    this.queue.push(...actions);
    if (this.draining) return;
    this.draining = true;
    this.guarded(() => {
      try {
        // Actions run in the order the engine produced them; engine calls caused by
        // them (lost sites) wait until the batch is done, so a stale deadline never
        // overrides a newer one.
        for (;;) {
          const action = this.queue.shift();
          if (action) {
            this.apply(action);
            continue;
          }
          const site = this.lost.values().next();
          if (site.done || !this.active) break;
          this.lost.delete(site.value);
          this.queue.push(...this.active.run.siteLost(this.now(), site.value));
        }
      } finally {
        this.queue.length = 0;
        this.lost.clear();
        this.draining = false;
      }
    });
    if (this.startWanted) {
      this.startWanted = false;
      this.tryStart();
    }
  }

  /** A store or engine failure stops driving the run; it stays 'running' in the store and resumes at the next start. */
  private guarded(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.deps.logger.error({ err: error, run: this.active?.row.id }, 'run driver failed; restart the coordinator to resume the run');
      this.clearTimers();
      this.active = undefined;
    }
  }

  private apply(action: CoordinatorAction): void {
    const a = this.active;
    if (!a) return;
    const { logger, metrics, store } = this.deps;
    switch (action.kind) {
      case 'phase-started':
        this.endPhase(a);
        a.phase = { phase: action.phase, at: this.now() };
        metrics.currentRound.set(action.round);
        if (action.phase === 'train') {
          a.bytes = 0;
          tryAppendAudit(store, this.deps.identity, logger, {
            at: a.phase.at,
            kind: AUDIT_KINDS.ROUND_STARTED,
            data: { run: a.row.id, round: action.round, attempt: action.attempt, cohort: action.cohort },
          });
        }
        this.changed();
        logger.info({ run: a.row.id, round: action.round, attempt: action.attempt, phase: action.phase, cohort: action.cohort }, 'phase started');
        return;
      case 'send': {
        const session = this.deps.sessions.get(action.to);
        // The run id in the signed config scopes the sites' replay guards to this run, so a later
        // run of the same task (which starts again at round 1) is not refused as a replay.
        let sent: boolean;
        if (action.message.type === 'round/start') {
          const message = { ...action.message, config: { ...action.message.config, runId: a.row.id } };
          if (session === undefined) sent = false;
          else {
            // A site known to hold this model (it answered the round/start that announced it, in
            // this session) gets the announcement without the chunks: the model goes down once per
            // site, not once per phase. A site that left the last announcement unanswered may not
            // have it any more (held-models.ts), so it gets the chunks.
            const hash = this.starts.modelHash(message);
            if (session.models.unanswered) session.models.forget();
            const held = versionAtLeast(session.protocolVersion, MODEL_REFERENCE_VERSION) && session.models.has(hash);
            session.models.offer(roundStartKey(message), hash, true);
            sent = this.starts.for(message, held).every((frame) => session.sendFrame(frame));
          }
        } else {
          // Secure aggregation steps: the roster and the unmask request are signed, relayed shares are boxes.
          const env = createEnvelope(action.message.type, action.message as never) as Envelope;
          const signed = isSignedType(env.type) ? signEnvelope(this.deps.identity.secretKey, parseEnvelope(env), a.row.id) : env;
          sent = session !== undefined && session.send(signed);
        }
        if (!sent) this.lost.add(action.to);
        return;
      }
      case 'timer':
        this.deadline.arm(action.at);
        a.deadlineAt = action.at;
        return;
      case 'rejected':
        metrics.rejected(refusalOfReject(action.reason));
        return;
      case 'round-failed':
        this.endPhase(a);
        this.deadline.clear();
        store.failAttempt({ runId: a.row.id, round: action.round, attempt: action.attempt, at: this.now(), code: action.code, message: action.message });
        metrics.roundsTotal.labels('failed').inc();
        logger.warn({ run: a.row.id, round: action.round, attempt: action.attempt, code: action.code, reason: action.message }, 'round attempt failed');
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.tryStart();
        }, this.deps.config.retryDelayMs);
        this.changed();
        return;
      case 'round-complete': {
        this.endPhase(a);
        this.deadline.clear();
        const r = action.record;
        // The round's accepted messages are in the audit log before the round is stored.
        flushAudit(store);
        const saved = store.saveRound({ runId: a.row.id, ...r, trainMetrics: { ...r.trainMetrics, bytesReceived: a.bytes }, strategyState: a.strategy.state() });
        tryAppendAudit(store, this.deps.identity, logger, {
          at: saved.finishedAt,
          kind: AUDIT_KINDS.ROUND_COMPLETED,
          data: {
            run: saved.runId,
            round: saved.round,
            attempt: saved.attempt,
            trained: saved.trained,
            failures: saved.failures,
            checkpointSha256: saved.weightsSha256,
            evalMetrics: saved.evalMetrics,
          },
        });
        metrics.roundsTotal.labels('completed').inc();
        metrics.roundDuration.observe(Math.max(0, r.finishedAt - r.startedAt) / 1000);
        setEvalGauges(metrics, r);
        logger.info({ run: a.row.id, round: r.round, attempt: r.attempt, trained: r.trained, evalMetrics: r.evalMetrics }, 'round complete');
        this.startWanted = true;
        this.changed();
        return;
      }
      case 'run-complete':
        store.finishRun(a.row.id, { status: 'completed', at: this.now() });
        metrics.currentRound.set(0);
        logger.info({ run: a.row.id, rounds: action.rounds }, 'run complete');
        this.active = undefined;
        this.changed();
        return;
    }
  }

  private endPhase(a: ActiveRun): void {
    a.deadlineAt = undefined;
    if (!a.phase) return;
    this.deps.metrics.phaseDuration.labels(a.phase.phase).observe(Math.max(0, this.now() - a.phase.at) / 1000);
    a.phase = undefined;
  }
}
