/**
 * `startSiteAgent`: wires config, key, state, metrics, the session and the
 * round pipeline together. The CLI's `run` is this plus signal handling; tests
 * start agents in-process with it.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { decodePublicKey, readKeyFile } from '@cohortfl/identity';
import { initBackend } from '@cohortfl/ml';
import type { SiteWork } from '@cohortfl/protocol';
import type { Task } from '@cohortfl/sdk';
import { CohortError, createCodec, createEnvelope, isCohortError, MESSAGE_SENDERS, type Envelope, type SiteMessage, type SiteStatus } from '@cohortfl/wire';
import { readCa, type SiteConfig } from './config.js';
import { createLogger } from './logger.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';
import { createSiteMetrics } from './metrics.js';
import { reasonOf } from './reasons.js';
import { fitWireError } from './replies.js';
import { RoundPipeline } from './round-pipeline.js';
import { Session, type StatusBody } from './session.js';
import { appendCoordinatorMessage, coordinatorRecordOf, readCoordinatorMessages, type CoordinatorMessageRecord } from './coordinator-messages.js';
import { appendSignedMessage, recordOf, runOf } from './signed-messages.js';
import { SiteBudget } from './site-budget.js';
import { StateStore } from './state-store.js';
import { replayJournal } from './replay-journal.js';
import { fileRevealedRounds } from './revealed-rounds.js';
import { isApproved, TaskRegistry } from './task-registry.js';
import { loadEvaluationGuard } from './evaluation-record.js';

export type SiteAgentEvent =
  | { kind: 'metrics'; url: string }
  | { kind: 'connected'; url: string; sessionId: string }
  | { kind: 'disconnected'; reason: string }
  | { kind: 'manifest'; taskHash: string; approved: boolean }
  | { kind: 'rejected'; reason: string; message: string }
  | { kind: 'replied'; reply: SiteMessage; delivered: boolean };

export interface SiteAgentOptions {
  /** Default: JSON lines on stderr at level info. */
  logger?: Logger;
  onEvent?: (event: SiteAgentEvent) => void;
  /** Give up on a handshake not welcomed within this many ms (default 15000). */
  handshakeTimeoutMs?: number;
  /**
   * What the site computes for an approved task, instead of loading `dataDir` and
   * training on it (the hook for benchmarks and custom pipelines). The policy,
   * signatures, signed-message records, differential privacy and secure
   * aggregation around it are unchanged: they live in SiteRunner and the pipeline.
   */
  work?: (task: Task) => SiteWork;
}

export interface SiteAgent {
  stop(): Promise<void>;
  /** Where Prometheus scrapes, when the config enables metrics. */
  metricsUrl?: string;
  /** The agent's own metrics registry. */
  metrics: Registry;
  /** An error that escaped every handler (the CLI's process guard): logged and counted in cohort_site_uncaught_errors_total. */
  recordUncaught(kind: 'exception' | 'rejection', error: unknown): void;
}

/** How long stop() lets a round in progress finish before returning anyway. */
const STOP_GRACE_MS = 2000;

export async function startSiteAgent(config: SiteConfig, options: SiteAgentOptions = {}): Promise<SiteAgent> {
  const logger = options.logger ?? createLogger('info', config.site);
  const emit = (event: SiteAgentEvent) => options.onEvent?.(event);
  const identity = readKeyFile(config.keyFile);
  const ca = config.coordinator.ca === undefined ? undefined : readCa(config.coordinator.ca, config.source);
  // Every model is built on the backend chosen here, once per process.
  await initBackend();
  const store = new StateStore(config.stateDir);
  const state = store.load();
  // The guard's checkpoint plus its journal: every round/start recorded since (replay-journal.ts).
  const journal = readJournal(config.stateDir);
  if (replayJournal(state, journal) > 0) store.save(state);
  const metrics = createSiteMetrics({ privacy: config.privacy !== undefined });
  metrics.connected.set(0);
  let session: Session | undefined;
  // Every status carries the policy summary, so the operator sees what each hospital allows.
  const policy = {
    minCohortSize: config.policy.minCohortSize,
    approvedTasks: new Set(config.policy.approvedTaskHashes).size,
    acceptTasks: config.policy.acceptTasks,
  };
  const withPolicy = (status: StatusBody): StatusBody => ({ ...status, policy });
  // One ledger for the whole site: every task's rounds are charged to the same budget.
  const budget = config.privacy
    ? new SiteBudget({
        stateDir: config.stateDir,
        budget: config.privacy,
        logger,
        metrics,
        onStatus: (status) => session?.sendStatus(withPolicy(status)),
      })
    : undefined;
  const codec = createCodec({ maxMessageBytes: config.limits.maxMessageBytes });
  const tasks = new TaskRegistry({
    site: config.site,
    policy: config.policy,
    dataDir: config.dataDir,
    ...(config.mapping ? { mapping: config.mapping } : {}),
    logger,
    identitySecretKey: identity.secretKey,
    ...(budget ? { privacy: budget.privacy } : {}),
    evaluations: loadEvaluationGuard(config.stateDir, { logger, metrics }),
    ...(options.work ? { work: options.work } : {}),
    ...(config.membership ? { membership: config.membership } : {}),
    revealed: fileRevealedRounds(config.stateDir),
    onRefusal: (reason, error) => {
      metrics.refusals.inc({ reason });
      logger.warn({ reason, code: error.code, err: error.message }, 'refused');
    },
  });

  let server: MetricsServer | undefined;
  if (config.metrics) {
    server = await startMetricsServer(metrics.registry, config.metrics.host, config.metrics.port);
    logger.info({ url: server.url }, 'serving metrics');
    emit({ kind: 'metrics', url: server.url });
  }

  let stopping = false;
  const reject = (reason: string, error: CohortError, connection: number, answer = true): void => {
    metrics.rejected.inc({ reason });
    logger.warn({ reason, code: error.code, message: error.message }, 'coordinator message refused');
    emit({ kind: 'rejected', reason, message: error.message });
    if (answer) session?.send(createEnvelope('error', fitWireError(error.toWire())), connection);
  };
  const pipeline = new RoundPipeline({
    site: config.site,
    secretKey: identity.secretKey,
    coordinatorKey: decodePublicKey(config.coordinator.publicKey),
    tasks,
    policy: config.policy,
    requireDp: budget !== undefined,
    state,
    store,
    metrics,
    logger,
    maxModelBytes: config.limits.maxModelBytes,
    send: (envelope, connection) => session?.send(envelope, connection),
    keepRecord: (envelope, start, digest, undelivered) =>
      appendSignedMessage(config.stateDir, { ...recordOf(envelope, runOf(start), Date.now(), digest), ...(undelivered ? { undelivered: true as const } : {}) }),
    keepEvidence: (envelope, start, bodyHash) => appendCoordinatorMessage(config.stateDir, coordinatorRecordOf(envelope, config.site, runOf(start), Date.now(), bodyHash)),
    reject,
    onReply: (reply, delivered) => {
      budget?.onReply(reply);
      emit({ kind: 'replied', reply, delivered });
    },
  });

  const route = (envelope: Envelope, connection: number, body?: Uint8Array): void => {
    switch (envelope.type) {
      case 'round/start':
        pipeline.onRoundStart(envelope, connection, body);
        return;
      case 'model/chunk':
        pipeline.onModelChunk(envelope, connection);
        return;
      case 'secagg/roster':
      case 'secagg/relay':
      case 'secagg/survivors':
      case 'secagg/unmask':
        pipeline.onSecureStep(envelope, connection, body);
        return;
      case 'task/manifest': {
        const { hash, json } = envelope.body;
        try {
          if (tasks.addManifest(hash, json)) {
            const approved = isApproved(config.policy, hash);
            if (approved) logger.info({ task: hash }, 'task manifest received; approved by this site');
            else logger.warn({ task: hash, reason: 'not_approved' }, 'task manifest received; not approved by this site\'s policy, its rounds will be refused');
            emit({ kind: 'manifest', taskHash: hash, approved });
          }
        } catch (error) {
          const e = isCohortError(error) ? error : new CohortError('TASK_INVALID', 'the manifest could not be read');
          reject('task_invalid', e, connection);
        }
        return;
      }
      case 'error':
        logger.warn({ reason: 'coordinator_error', code: envelope.body.code, message: envelope.body.message }, 'the coordinator reported an error');
        return;
      default:
        if (MESSAGE_SENDERS[envelope.type] === 'site') {
          reject('wrong_sender', new CohortError('MESSAGE_INVALID', `${envelope.type} is sent by sites, not by the coordinator`), connection);
        } else {
          reject('unexpected', new CohortError('MESSAGE_INVALID', `unexpected ${envelope.type} after welcome`), connection);
        }
    }
  };

  session = new Session({
    url: config.coordinator.url,
    site: config.site,
    identity,
    coordinatorKey: config.coordinator.publicKey,
    ...(ca === undefined ? {} : { ca }),
    ...(config.coordinator.channelBinding ? { channelBinding: config.coordinator.channelBinding } : {}),
    codec,
    logger,
    ...(options.handshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs: options.handshakeTimeoutMs }),
    onAuthenticated: ({ sessionId }) => {
      metrics.connected.set(1);
      logger.info({ url: config.coordinator.url, sessionId }, 'authenticated to the coordinator');
      emit({ kind: 'connected', url: config.coordinator.url, sessionId });
    },
    onClosed: (reason) => {
      metrics.connected.set(0);
      if (stopping) logger.info({ reason }, 'disconnected from the coordinator');
      else logger.warn({ reason }, 'disconnected from the coordinator');
      emit({ kind: 'disconnected', reason });
    },
    onMessage: route,
    onUndecodable: (error, connection) => {
      const e = isCohortError(error) ? error : new CohortError('MESSAGE_INVALID', 'malformed frame');
      reject(reasonOf(e), e, connection);
    },
    status: () => withPolicy(budget?.status() ?? { ready: true }),
    onTransportRefusal: (reason) => {
      metrics.rejected.inc({ reason });
    },
    onHandshakeRefused: (reason, message) => {
      metrics.rejected.inc({ reason });
      emit({ kind: 'rejected', reason, message });
    },
  });
  session.start();

  let stopped: Promise<void> | undefined;
  return {
    metrics: metrics.registry,
    ...(server ? { metricsUrl: server.url } : {}),
    recordUncaught: (kind, error) => {
      metrics.uncaughtErrors.labels(kind).inc();
      logger.error({ err: error, kind }, 'an error escaped every handler (process guard)');
    },
    stop: () =>
      (stopped ??= (async () => {
        stopping = true;
        session?.stop();
        metrics.connected.set(0);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([pipeline.idle(), new Promise<void>((r) => (timer = setTimeout(r, STOP_GRACE_MS).unref()))]);
        clearTimeout(timer);
        pipeline.checkpoint();
        await server?.close();
        logger.info('site agent stopped');
      })()),
  };
}

/** The recorded coordinator messages, or none when the site has not recorded any yet. */
function readJournal(stateDir: string): CoordinatorMessageRecord[] {
  try {
    return readCoordinatorMessages(stateDir).records;
  } catch (error) {
    if (isCohortError(error) && error.code === 'NOT_FOUND') return [];
    throw error;
  }
}
