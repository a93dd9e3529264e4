/** The dashboard's view of the coordinator (DashboardSnapshot of @cohortfl/dashboard), built fresh from the store, the driver and the sessions. */
import type { DashboardSnapshot, RunView, SiteView } from '@cohortfl/dashboard';
import { decodePublicKey, fingerprint } from '@cohortfl/identity';
import type { Role } from '../admin-auth.js';
import type { RunDriver } from '../run-driver.js';
import type { SessionRegistry } from '../session-registry.js';
import { readSiteEpsilon } from '../site-epsilon.js';
import { readSiteProfile } from '../site-profile.js';
import type { RunRow, Store } from '../store/index.js';
import { runSeries } from './series.js';

export interface SnapshotSources {
  store: Store;
  driver: RunDriver;
  sessions: SessionRegistry;
  publicKey: string;
  now: () => number;
}

function sitesOf({ store, sessions, now }: SnapshotSources): SiteView[] {
  return store.listSites().map((s) => {
    const session = sessions.get(s.name);
    const profile = readSiteProfile(store, s.name);
    return {
      name: s.name,
      status: s.status,
      fingerprint: fingerprint(decodePublicKey(s.publicKey)),
      connected: session !== undefined,
      ready: session?.ready ?? false,
      // A connected site is being seen now; the store keeps when it last authenticated.
      lastSeen: session ? now() : s.lastSeen,
      epsilonSpent: readSiteEpsilon(store, s.name)?.epsilonSpent ?? null,
      epsilonBudget: profile?.epsilonBudget ?? null,
      policy: profile?.policy ?? null,
    };
  });
}

function holdOutOf(row: RunRow): string[] {
  const holdOut = row.config['holdOut'];
  return Array.isArray(holdOut) ? holdOut.filter((x): x is string => typeof x === 'string') : [];
}

/** `last`: the run's last completed round (from its series, read once per snapshot). */
function runOf({ store, driver }: SnapshotSources, row: RunRow, last: { round: number; attempt: number } | undefined): RunView {
  const active = driver.current?.row.id === row.id ? driver.current : undefined;
  const engine = active?.run.status;
  const cohort = engine?.cohort ?? [];
  const answered = engine?.answeredSites ?? [];
  return {
    id: row.id,
    task: store.getTask(row.taskHash)?.name ?? row.taskHash,
    taskHash: row.taskHash,
    status: row.status,
    rounds: row.rounds,
    round: engine?.round ?? last?.round ?? null,
    attempt: engine?.attempt ?? last?.attempt ?? null,
    phase: engine?.phase ?? (row.status === 'completed' ? 'done' : 'idle'),
    secureStep: engine?.secureStep ?? null,
    cohort,
    answered,
    stragglers: cohort.filter((site) => !answered.includes(site)),
    phaseStartedAt: active?.phase?.at ?? null,
    deadlineAt: active?.deadlineAt ?? null,
    holdOut: holdOutOf(row),
    message: row.message,
  };
}

export function buildSnapshot(sources: SnapshotSources, role: Role): DashboardSnapshot {
  const { store, driver } = sources;
  const row = driver.current?.row ?? store.activeRun() ?? store.listRuns().at(-1);
  const tasks = store.listTasks();
  const series = row ? runSeries(store, row.id) : { rounds: [] };
  const taskNames = new Map(tasks.map((t) => [t.hash, t.name]));
  return {
    at: sources.now(),
    role,
    coordinator: { publicKey: sources.publicKey, fingerprint: fingerprint(decodePublicKey(sources.publicKey)) },
    sites: sitesOf(sources),
    run: row ? runOf(sources, row, series.rounds.at(-1)) : null,
    series,
    tasks: tasks.map((t) => ({ name: t.name, version: t.version, hash: t.hash })),
    runs: store
      .listRuns()
      .slice(-50)
      .reverse()
      .map((r) => ({ id: r.id, task: taskNames.get(r.taskHash) ?? r.taskHash, status: r.status, rounds: r.rounds, createdAt: r.createdAt })),
  };
}
