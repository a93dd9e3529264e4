/**
 * SIGKILL a process that is storing rounds, then reopen its database: every round
 * is there whole or not at all. The child runs the store's real code under plain
 * Node (crash-child.mjs), not a copy of its SQL.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CRASH_SITES, crashRound, crashWeights } from './crash-rounds.test-suite.js';
import { tempDir } from './fixtures.test-suite.js';
import { openStore } from './open-store.js';
import type { Store } from './types.js';

const CHILD = fileURLToPath(new URL('./crash-child.mjs', import.meta.url));

interface ChildEnd {
  signal: NodeJS.Signals | null;
  saved: number[];
  stderr: string;
}

/** Run the child; `killAfter` kills it once it reports that many saved rounds. */
function runChild(path: string, dieInside: number, killAfter?: { rounds: number; delayMs: number }): Promise<ChildEnd> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, path, String(dieInside)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const saved = () => [...stdout.matchAll(/^saved (\d+)$/gm)].map((m) => Number(m[1]));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (killAfter && saved().length >= killAfter.rounds && child.exitCode === null) {
        setTimeout(() => child.kill('SIGKILL'), killAfter.delayMs);
        killAfter = undefined;
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (_code, signal) => resolve({ signal, saved: saved(), stderr }));
  });
}

/** Every stored round is complete and verifies; returns how many there are. */
function expectWholeRounds(store: Store, runId: number): number {
  const raw = store.rawRoundRows(runId);
  const rounds = raw.rounds.map((r) => r.round);
  rounds.forEach((round, i) => expect(round).toBe(i + 1));
  expect(raw.checkpoints.map((c) => c.round)).toEqual(rounds);
  for (const round of rounds) {
    expect(raw.participants.filter((p) => p.round === round)).toHaveLength(2 + 1 + CRASH_SITES.length);
    expect(raw.siteMetrics.filter((m) => m.round === round)).toHaveLength(2 * CRASH_SITES.length);
    const checkpoint = store.getCheckpoint(runId, round)!;
    expect(Buffer.from(checkpoint.weights.buffer).equals(Buffer.from(crashWeights(round).buffer))).toBe(true);
  }
  expect(raw.participants.every((p) => rounds.includes(p.round))).toBe(true);
  expect(raw.siteMetrics.every((m) => rounds.includes(m.round))).toBe(true);
  const completed = store.listAttempts(runId).filter((a) => a.status === 'completed').map((a) => a.round);
  expect(completed).toEqual(rounds);
  return rounds.length;
}

function integrity(path: string): string {
  const raw = new Database(path, { readonly: true });
  try {
    return raw.pragma('integrity_check', { simple: true }) as string;
  } finally {
    raw.close();
  }
}

describe('a coordinator killed with SIGKILL', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('inside the transaction of round 3 leaves rounds 1 and 2 whole and nothing of round 3', async () => {
    const end = await runChild(tmp.path, 3);
    expect(end.signal, end.stderr).toBe('SIGKILL');
    expect(end.saved).toEqual([1, 2]);
    expect(existsSync(`${tmp.path}-wal`)).toBe(true); // recovery really goes through the log
    expect(integrity(tmp.path)).toBe('ok');

    const store = openStore(tmp.path);
    try {
      const runId = store.activeRun()!.id;
      expect(expectWholeRounds(store, runId)).toBe(2);
      expect(store.listAttempts(runId).map((a) => [a.round, a.attempt, a.status])).toEqual([
        [1, 1, 'completed'],
        [2, 1, 'completed'],
        [3, 1, 'started'],
      ]);
      // The restarted coordinator runs round 3 again as a fresh attempt.
      const attempt = store.nextAttempt(runId, 3);
      expect(attempt).toBe(2);
      store.startAttempt({ runId, round: 3, attempt, at: 1 });
      store.saveRound(crashRound(runId, 3, attempt));
      expect(expectWholeRounds(store, runId)).toBe(3);
    } finally {
      store.close();
    }
  });

  it('at an arbitrary moment of a save loop leaves only whole rounds, and resumes', async () => {
    const first = await runChild(tmp.path, 0, { rounds: 3, delayMs: 7 });
    expect(first.signal, first.stderr).toBe('SIGKILL');
    const reported = Math.max(...first.saved);
    expect(integrity(tmp.path)).toBe('ok');
    let stored: number;
    const store = openStore(tmp.path);
    try {
      stored = expectWholeRounds(store, store.activeRun()!.id);
      // Every round the child reported is durable; at most the one in flight may also have committed.
      expect(stored).toBeGreaterThanOrEqual(reported);
      expect(stored).toBeLessThanOrEqual(reported + 1);
    } finally {
      store.close();
    }

    const second = await runChild(tmp.path, stored + 2);
    expect(second.saved).toEqual([stored + 1]);
    const reopened = openStore(tmp.path);
    try {
      expect(expectWholeRounds(reopened, reopened.activeRun()!.id)).toBe(stored + 1);
    } finally {
      reopened.close();
    }
  });
});
