// Issue 12, finding 9: a flood of wrong tokens must not lock the operator out. The admin
// API and the dashboard socket check a token with a keyed comparison, never scrypt, so the
// right token is accepted while a thousand wrong ones are in flight.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { generateToken } from '@cohortfl/identity';
import { msgpackrParser } from '@cohortfl/wire';
import type { RunningCoordinator } from './coordinator.js';
import { dataPaths } from './data-dir.js';
import { adminToken, makeDataDir, removeDataDirs, startTest } from './fixtures.test-suite.js';

const IN_FLIGHT = 1000;

let c: RunningCoordinator;
let admin: string;
let viewer: string;

beforeAll(async () => {
  const dataDir = await makeDataDir();
  c = await startTest(dataDir);
  admin = adminToken(dataDir);
  viewer = readFileSync(dataPaths(dataDir).viewerToken, 'utf8').trim();
});

afterAll(async () => {
  await c?.close();
  removeDataDirs();
});

function status(token: string): Promise<number> {
  return fetch(`${c.url}/api/status`, { headers: { authorization: `Bearer ${token}` } }).then(
    async (r) => {
      await r.arrayBuffer();
      return r.status;
    },
    () => -1,
  );
}

/**
 * IN_FLIGHT lanes, each sending `waves` requests with fresh wrong tokens one after another:
 * IN_FLIGHT requests stay in flight until the last wave. Resolves with every status.
 */
function flood(waves: number): { done: Promise<number[]>; answered: () => number } {
  const statuses: number[] = [];
  const lanes = Array.from({ length: IN_FLIGHT }, async () => {
    for (let i = 0; i < waves; i++) statuses.push(await status(generateToken()));
  });
  return { answered: () => statuses.length, done: Promise.all(lanes).then(() => statuses) };
}

function dashboard(token: string): Promise<'connected' | string> {
  const socket: Socket = io(`${c.url}/dashboard`, { parser: msgpackrParser, transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true, timeout: 60_000 });
  return new Promise((resolve) => {
    socket.once('connect', () => {
      socket.close();
      resolve('connected');
    });
    socket.once('connect_error', (error) => {
      socket.close();
      resolve(error.message);
    });
  });
}

describe('a flood of wrong tokens', () => {
  it('does not lock the operator out of the HTTP API', async () => {
    const wrong = flood(3);
    // The first wave is answered: the server is busy with the next ones when the operator asks.
    while (wrong.answered() < IN_FLIGHT) await new Promise((r) => setTimeout(r, 5));
    const [asOperator, asViewer] = await Promise.all([status(admin), status(viewer)]);
    const statuses = await wrong.done;
    expect(asOperator).toBe(200);
    expect(asViewer).toBe(200);
    expect(statuses).toHaveLength(3 * IN_FLIGHT);
    expect(statuses.every((s) => s === 401)).toBe(true);
  });

  it('does not lock the operator out of the dashboard socket', async () => {
    const wrongHttp = flood(3);
    while (wrongHttp.answered() < IN_FLIGHT) await new Promise((r) => setTimeout(r, 5));
    // Wrong dashboard sockets in flight as well.
    const wrongSockets = Array.from({ length: 100 }, () => dashboard(generateToken()));
    const [asOperator, asViewer] = await Promise.all([dashboard(admin), dashboard(viewer)]);
    await wrongHttp.done;
    expect(asOperator).toBe('connected');
    expect(asViewer).toBe('connected');
    expect(new Set(await Promise.all(wrongSockets))).toEqual(new Set(['unauthorized']));
  });
});
