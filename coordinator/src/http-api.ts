/**
 * The HTTP side of the coordinator's one server: /metrics, /healthz and the dashboard's
 * static page under /dashboard/ (open; the page holds no data), and the admin API under
 * /api (Bearer token: the admin token may change things, the viewer token only reads).
 * socket.io handles its own path first.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { decodePublicKey, fingerprint } from '@cohortfl/identity';
import { CohortError } from '@cohortfl/wire';
import type { AdminAuth } from './admin-auth.js';
import { serveDashboard } from './dashboard/assets.js';
import { readJsonBody, sendError, sendJson } from './http-util.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { runReport, statusReport } from './reports.js';
import type { RunDriver } from './run-driver.js';
import type { SessionRegistry } from './session-registry.js';
import { readSiteEpsilon } from './site-epsilon.js';
import type { Store } from './store/index.js';

export interface HttpApiDeps {
  store: Store;
  driver: RunDriver;
  sessions: SessionRegistry;
  metrics: Metrics;
  auth: AdminAuth;
  logger: Logger;
}

const startRunBody = z.strictObject({
  task: z.string().min(1).max(128),
  rounds: z.number().int().min(1).max(100_000).optional(),
  /** Sites evaluated every round but never trained on (external validation). */
  holdOut: z.array(z.string().min(1).max(64)).max(1024).optional(),
});

const MAX_BODY_BYTES = 64 * 1024;

export function createHttpHandler(deps: HttpApiDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(deps, req, res).catch((error: unknown) => {
      if (!(error instanceof CohortError)) deps.logger.error({ err: error, path: req.url }, 'admin API failure');
      if (!res.headersSent) sendError(res, error);
      else res.destroy();
    });
  };
}

async function handle(deps: HttpApiDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://coordinator').pathname;
  const method = req.method ?? 'GET';
  if (path === '/healthz') return sendJson(res, 200, { ok: true });
  if (path === '/metrics') {
    const text = await deps.metrics.registry.metrics();
    res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
    res.end(text);
    return;
  }
  if (path === '/dashboard' || path.startsWith('/dashboard/')) return serveDashboard(path, method, res);
  if (!path.startsWith('/api/')) throw new CohortError('NOT_FOUND', `no resource at ${path}`);
  const role = await deps.auth(req.headers.authorization);
  if (!role) {
    res.setHeader('www-authenticate', 'Bearer');
    throw new CohortError('UNAUTHORIZED', 'a valid admin or viewer token is required (Authorization: Bearer <token>)');
  }
  // The viewer token reads; only the admin token changes anything.
  if (method !== 'GET' && role !== 'operator') {
    throw new CohortError('UNAUTHORIZED', `${method} ${path} needs the admin token; the viewer token is read-only`, { details: { httpStatus: 403 } });
  }
  const { store, driver, sessions } = deps;
  const route = `${method} ${path}`;
  if (route === 'GET /api/status') return sendJson(res, 200, statusReport(store, driver, sessions));
  if (route === 'GET /api/sites') {
    return sendJson(res, 200, store.listSites().map((s) => {
      const session = sessions.get(s.name);
      return {
        ...s,
        fingerprint: fingerprint(decodePublicKey(s.publicKey)),
        connected: session !== undefined,
        ready: session?.ready ?? false,
        epsilonSpent: readSiteEpsilon(store, s.name)?.epsilonSpent ?? null,
      };
    }));
  }
  if (route === 'GET /api/tasks') {
    return sendJson(res, 200, store.listTasks().map(({ manifestJson: _json, ...t }) => t));
  }
  if (route === 'GET /api/runs') return sendJson(res, 200, store.listRuns());
  if (route === 'POST /api/runs') {
    const parsed = startRunBody.safeParse(await readJsonBody(req, MAX_BODY_BYTES));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new CohortError('CONFIG_INVALID', `request body: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
    }
    const row = await driver.startRun(parsed.data.task, parsed.data.rounds, parsed.data.holdOut);
    return sendJson(res, 201, runReport(store, row).run);
  }
  const stopMatch = /^\/api\/runs\/([0-9]{1,9})\/stop$/.exec(path);
  if (stopMatch && method === 'POST') {
    const row = driver.stopRun(Number(stopMatch[1]));
    return sendJson(res, 200, runReport(store, row).run);
  }
  const runMatch = /^\/api\/runs\/([0-9]{1,9})$/.exec(path);
  if (runMatch && method === 'GET') {
    const row = store.getRun(Number(runMatch[1]));
    if (!row) throw new CohortError('NOT_FOUND', `no run ${runMatch[1]}`);
    return sendJson(res, 200, runReport(store, row));
  }
  throw new CohortError('NOT_FOUND', `no resource at ${method} ${path}`);
}
