/**
 * Live updates for the dashboard over the coordinator's socket.io server, in the
 * namespace `/dashboard` (sites use the default namespace and never see it). A
 * browser connects with `auth: { token }`: the admin token or the viewer token;
 * anything else is refused before the connection opens. Every change the feed
 * reports is coalesced (DEBOUNCE_MS) into one fresh snapshot for every viewer.
 */
import type { Server, Socket } from 'socket.io';
import type { AdminAuth, Role } from '../admin-auth.js';
import type { ChangeFeed } from '../change-feed.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { socketGuard } from '../socket-guard.js';
import { buildSnapshot, type SnapshotSources } from './snapshot.js';

export const DASHBOARD_NAMESPACE = '/dashboard';
export const DASHBOARD_EVENT = 'snapshot';
const DEBOUNCE_MS = 200;
/** Browsers per coordinator: a dashboard is for a few operators, not a public page. */
const MAX_DASHBOARDS = 64;
/** Read-only dashboards may take at most this many, so viewers can never lock the operator out. */
const MAX_READ_ONLY = 48;

export interface DashboardHub {
  close(): void;
}

export function startDashboardHub(io: Server, sources: SnapshotSources, feed: ChangeFeed, auth: AdminAuth, logger: Logger, metrics?: Pick<Metrics, 'rejected'>): DashboardHub {
  const nsp = io.of(DASHBOARD_NAMESPACE);
  const roles = new WeakMap<Socket, Role>();
  const count = metrics ?? { rejected: () => undefined };
  nsp.use((socket, next) => {
    try {
      checkToken(socket, next);
    } catch (error) {
      count.rejected('handler_error');
      logger.error({ err: error, reason: 'handler_error' }, 'the dashboard token check failed');
      next(new Error('unauthorized'));
    }
  });
  const checkToken = (socket: Socket, next: (error?: Error) => void) => {
    const token: unknown = (socket.handshake.auth as Record<string, unknown> | undefined)?.['token'];
    if (nsp.sockets.size >= MAX_DASHBOARDS) return next(new Error('too many dashboard connections'));
    if (typeof token !== 'string' || token.length === 0 || token.length > 512) return next(new Error('unauthorized'));
    auth(`Bearer ${token}`).then(
      (role) => {
        if (!role) return next(new Error('unauthorized'));
        if (role === 'viewer' && [...nsp.sockets.values()].filter((s) => roles.get(s) === 'viewer').length >= MAX_READ_ONLY) {
          return next(new Error('too many read-only dashboard connections'));
        }
        roles.set(socket, role);
        next();
      },
      (error: unknown) => {
        logger.error({ err: error }, 'dashboard token check failed');
        next(new Error('unauthorized'));
      },
    ).catch((error: unknown) => {
      count.rejected('handler_error');
      logger.error({ err: error, reason: 'handler_error' }, 'the dashboard token check failed');
      next(new Error('unauthorized'));
    });
  };

  const send = (sockets: Iterable<Socket>) => {
    let base: ReturnType<typeof buildSnapshot> | undefined;
    for (const socket of sockets) {
      try {
        base ??= buildSnapshot(sources, 'viewer');
        socket.emit(DASHBOARD_EVENT, { ...base, role: roles.get(socket) ?? 'viewer' });
      } catch (error) {
        logger.error({ err: error }, 'could not build the dashboard snapshot');
        return;
      }
    }
  };

  nsp.on('connection', (socket) => {
    const contain = socketGuard({ logger, metrics: count }, socket, () => ({ dashboard: socket.handshake.address }));
    // A dashboard only listens: any event it emits is refused and ends its connection.
    socket.onAny(contain((event: unknown) => {
      count.rejected('unexpected');
      logger.warn({ reason: 'unexpected', event: String(event).slice(0, 64) }, 'refused: a dashboard emitted an event; dashboards only listen');
      socket.disconnect(true);
    }));
    contain(() => {
      logger.info({ role: roles.get(socket), address: socket.handshake.address }, 'dashboard connected');
      send([socket]);
    })();
  });

  let timer: NodeJS.Timeout | undefined;
  const unsubscribe = feed.subscribe(() => {
    if (timer || nsp.sockets.size === 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      send(nsp.sockets.values());
    }, DEBOUNCE_MS);
  });

  return {
    close() {
      unsubscribe();
      if (timer) clearTimeout(timer);
      nsp.disconnectSockets(true);
    },
  };
}
