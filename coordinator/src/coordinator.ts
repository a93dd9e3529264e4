/**
 * `startCoordinator`: one HTTP(S) server carrying socket.io (the sites), the admin
 * API, /metrics and /healthz, over an initialized data directory. `serve` is this
 * plus a stdout line and signal handling; tests start it in-process on port 0.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { encodePublicKey, readKeyFile } from '@cohortfl/identity';
import { initBackend } from '@cohortfl/ml';
import { CohortError, createCodec, createMsgpackrParser } from '@cohortfl/wire';
import { Admission } from './admission.js';
import { flushAudit } from './audit/audit-log.js';
import { createAdminAuth } from './admin-auth.js';
import { ChangeFeed } from './change-feed.js';
import type { ConfigLayer, CoordinatorConfig } from './config.js';
import { HANDSHAKE_TIMEOUT_MS, handleConnection, sweepRevoked } from './connection.js';
import type { CoordinatorContext } from './context.js';
import { ADMIN_TOKEN_META, VIEWER_TOKEN_META, dataPaths } from './data-dir.js';
import { DASHBOARD_NAMESPACE, startDashboardHub } from './dashboard/hub.js';
import { createHttpHandler } from './http-api.js';
import { loadConfig } from './load-config.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { RefusalLedger, transportRefusals } from './refusal-ledger.js';
import { replaceFile } from './private-file.js';
import { RunDriver } from './run-driver.js';
import { SessionRegistry } from './session-registry.js';
import { restoreEpsilonGauge } from './site-epsilon.js';
import { restoreEvalGauges } from './eval-gauges.js';
import { openStore, type Store } from './store/index.js';

/** Room around the largest envelope in a frame: the socket.io packet and engine.io framing. */
const FRAME_HEADROOM = 65536;

/** How often connected sites are checked against the store for revocation. */
export const REVOCATION_SWEEP_MS = 2000;

export interface StartCoordinatorOptions extends ConfigLayer {
  dataDir: string;
  /** Another config file than <dataDir>/config.json. */
  configFile?: string;
  /** Environment to read COHORT_* settings from (default process.env). */
  env?: Record<string, string | undefined>;
}

export interface RunningCoordinator {
  url: string;
  port: number;
  /** The coordinator's public key, `ed25519:…`. */
  publicKey: string;
  config: CoordinatorConfig;
  /** Stop accepting, close every socket, close the store. The running run stays resumable. */
  close(): Promise<void>;
  /** An error that escaped every handler (the CLI's process guard): logged and counted in cohort_uncaught_errors_total. */
  recordUncaught(kind: 'exception' | 'rejection', error: unknown): void;
}

function urlOf(config: CoordinatorConfig, port: number): string {
  // A wildcard bind is reachable locally at loopback; serve.json is read by local CLIs.
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host === '::' ? '::1' : config.host;
  return `${config.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function openInitializedStore(dataDir: string): { store: Store; tokenHash: string; viewerHash: string | undefined } {
  const paths = dataPaths(dataDir);
  if (!existsSync(paths.db) || !existsSync(paths.key)) {
    throw new CohortError('CONFIG_INVALID', `${paths.dir} is not an initialized data directory; run: cohort-coordinator init --data-dir ${paths.dir}`);
  }
  const store = openStore(paths.db);
  const tokenHash = store.getMeta(ADMIN_TOKEN_META);
  if (tokenHash === undefined) {
    store.close();
    throw new CohortError('CONFIG_INVALID', `the store in ${paths.dir} holds no admin token hash; it was not made by init`);
  }
  // Without a viewer token (a data directory made before it existed) the dashboard takes the admin token only.
  return { store, tokenHash, viewerHash: store.getMeta(VIEWER_TOKEN_META) };
}

function listen(server: HttpServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error) => reject(new CohortError('CONFIG_INVALID', `cannot listen on ${host}:${port}: ${error.message}`, { cause: error }));
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Two servers on one store would both drive its run; a serve.json of a live other process means one is up. */
function refuseSecondServer(servePath: string): void {
  let pid: unknown;
  try {
    pid = (JSON.parse(readFileSync(servePath, 'utf8')) as { pid?: unknown }).pid;
  } catch {
    return; // no file (or unreadable leftovers): nobody is serving
  }
  if (typeof pid !== 'number' || pid === process.pid) return;
  try {
    process.kill(pid, 0);
  } catch {
    return; // a crashed server's file: its process is gone
  }
  throw new CohortError('CONFIG_INVALID', `another coordinator (pid ${pid}) is serving this data directory; stop it first (or remove ${servePath} if that pid is not a coordinator)`);
}

export async function startCoordinator(options: StartCoordinatorOptions): Promise<RunningCoordinator> {
  const { dataDir, configFile, env, ...overrides } = options;
  const paths = dataPaths(dataDir);
  refuseSecondServer(paths.serve);
  const config = loadConfig({ dataDir, ...(configFile ? { configFile } : {}), env: env ?? process.env, overrides });
  const identity = readKeyFile(paths.key);
  const { store, tokenHash, viewerHash } = openInitializedStore(dataDir);
  const logger = createLogger(config.logLevel);
  let server: HttpServer | undefined;
  let driver: RunDriver | undefined;
  try {
    const backend = await initBackend(undefined, { quiet: true });
    logger.info({ backend }, 'TensorFlow.js backend ready');
    const metrics = createMetrics();
    restoreEpsilonGauge(store, metrics);
    restoreEvalGauges(store, metrics);
    const feed = new ChangeFeed();
    const sessions = new SessionRegistry(feed);
    driver = new RunDriver({ store, sessions, identity, config, logger, metrics, feed });
    const refusals = new RefusalLedger({ store, identity, logger, now: Date.now }, config.refusals);
    const transport = transportRefusals(metrics, refusals);
    const admission = new Admission(
      {
        preAuthFrameBytes: config.limits.preAuthFrameBytes,
        frameBytes: config.limits.maxMessageBytes + FRAME_HEADROOM,
        maxUnauthenticated: config.limits.maxUnauthenticated,
        maxUnauthenticatedPerAddress: config.limits.maxUnauthenticatedPerAddress,
        handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
      },
      transport,
      logger,
    );
    const ctx: CoordinatorContext = {
      store,
      sessions,
      driver,
      codec: createCodec({ maxMessageBytes: config.limits.maxMessageBytes }),
      identity,
      publicKeyText: encodePublicKey(identity.publicKey),
      logger,
      metrics,
      refusals,
      now: Date.now,
      admission,
    };
    const adminToken = readAdminTokenFile(paths.token);
    const { auth, mode } = await createAdminAuth(tokenHash, viewerHash, adminToken === undefined ? {} : { adminToken });
    if (mode === 'scrypt') {
      logger.warn(
        { file: paths.token, reason: adminToken === undefined ? 'absent' : 'does_not_match' },
        'the admin-token file is absent or does not match the stored hash: tokens are checked with scrypt (two at once) until each has passed once, so a flood of wrong tokens can delay the operator',
      );
    }
    const handler = createHttpHandler({ store, driver, sessions, metrics, auth, logger });
    server = config.tls
      ? createHttpsServer({ cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) }, handler)
      : createHttpServer(handler);
    const io = new Server(server, {
      // A refused frame closes its connection (socket.io's rule); it is counted and logged here.
      parser: createMsgpackrParser({
        onRefused: (error, bytes) => {
          transport.rejected('invalid_packet');
          logger.warn({ reason: 'invalid_packet', bytes }, `refused: ${error.message}`);
        },
      }),
      // The frame limit of every connection until it authenticates (admission.ts raises it for sites).
      maxHttpBufferSize: config.limits.preAuthFrameBytes,
      allowRequest: admission.allowRequest,
      // A connection that joins no namespace is closed as soon as one that does not authenticate.
      connectTimeout: HANDSHAKE_TIMEOUT_MS,
      serveClient: false,
      transports: ['websocket'],
    });
    io.engine.on('connection', (conn: Parameters<Admission['watch']>[0]) => admission.watch(conn));
    io.on('connection', (socket) => handleConnection(ctx, socket));
    io.of(DASHBOARD_NAMESPACE).on('connection', (socket) => admission.admitted(socket));
    const dashboard = startDashboardHub(io, { store, driver, sessions, publicKey: ctx.publicKeyText, now: Date.now }, feed, auth, logger, transport);
    await driver.resume();
    const port = await listen(server, config.host, config.port);
    const url = urlOf(config, port);
    const sweep = setInterval(() => sweepRevoked(ctx), REVOCATION_SWEEP_MS);
    ctx.refusals.start();
    replaceFile(paths.serve, `${JSON.stringify({ url, pid: process.pid })}\n`);
    logger.info({ url }, 'listening');

    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        clearInterval(sweep);
        admission.close();
        dashboard.close();
        driver!.stop();
        const httpServer = server!;
        await new Promise<void>((resolve) => {
          void io.close(() => resolve());
          httpServer.closeAllConnections();
        });
        // Every socket is closed, so no refusal comes after this: what is counted is written before the store closes.
        ctx.refusals.stop();
        // Audit entries still queued for their group commit go in before the store closes.
        flushAudit(store);
        store.close();
        removeServeFile(paths.serve, url);
        logger.info('stopped');
      })();
      return closing;
    };
    const recordUncaught = (kind: 'exception' | 'rejection', error: unknown): void => {
      metrics.uncaughtErrors.labels(kind).inc();
      logger.error({ err: error, kind }, 'an error escaped every handler (process guard)');
    };
    return { url, port, publicKey: ctx.publicKeyText, config, close, recordUncaught };
  } catch (error) {
    driver?.stop();
    server?.close();
    store.close();
    throw error;
  }
}

/** The admin token as init wrote it (0600), or undefined when the operator removed the file. */
function readAdminTokenFile(path: string): string | undefined {
  try {
    const token = readFileSync(path, 'utf8').trim();
    return token.length > 0 ? token : undefined;
  } catch {
    return undefined;
  }
}

/** serve.json describes this server only while it runs; leave another server's file alone. */
function removeServeFile(path: string, url: string): void {
  try {
    const current = JSON.parse(readFileSync(path, 'utf8')) as { url?: unknown; pid?: unknown };
    if (current.url === url && current.pid === process.pid) rmSync(path);
  } catch {
    // Already gone or unreadable: nothing of ours to remove.
  }
}
