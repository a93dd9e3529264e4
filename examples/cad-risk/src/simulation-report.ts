/**
 * `pnpm simulate --report out.html`: a simulation as the same self-contained HTML
 * report the coordinator writes for a real run (charts of @cohortfl/dashboard).
 * A simulation has no network, so bytes received are left empty, not made up.
 */
import type { ReportInput, SeriesRound } from '@cohortfl/dashboard';
import { aucGapsOf, type RoundSummary, type SimulationResult } from '@cohortfl/sdk';

const finite = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);

/** `finishedAt[i]` is when round i's summary arrived; round i started when round i-1 finished (the first at `startedAt`). */
export function seriesRounds(rounds: readonly RoundSummary[], startedAt: number, finishedAt: readonly number[]): SeriesRound[] {
  return rounds.map((r, i) => {
    return {
      round: r.round,
      attempt: r.attempt,
      startedAt: i === 0 ? startedAt : (finishedAt[i - 1] ?? startedAt),
      finishedAt: finishedAt[i] ?? startedAt,
      trained: r.trained,
      failures: r.failures,
      trainLoss: finite(r.trainLoss),
      evalLoss: finite(r.metrics['loss']),
      auc: finite(r.metrics['pooled/auc'] ?? r.metrics['auc']),
      worstSiteAuc: finite(r.metrics['sites/worstAuc']),
      siteAuc: Object.fromEntries(r.perSite.filter((p) => Number.isFinite(p.auc)).map((p) => [p.site, p.auc])),
      groupAucGap: aucGapsOf(r.metrics),
      bytesReceived: null,
    };
  });
}

export interface SimulationReportExtras {
  title: string;
  startedAt: number;
  roundFinishedAt: readonly number[];
  pooledAuc: number;
  bestLocalAuc: number;
  facts: { label: string; value: string }[];
}

export function simulationReportInput(result: SimulationResult, extras: SimulationReportExtras): ReportInput {
  const epsilon = new Map((result.privacy?.perSite ?? []).map((p) => [p.name, p.epsilonSpent]));
  return {
    title: extras.title,
    subtitle: `simulation in one process · ${result.rounds.length} rounds · ${result.perSite.length} sites · task ${result.taskHash.slice(0, 16)}…`,
    generatedAt: Date.now(),
    series: { rounds: seriesRounds(result.rounds, extras.startedAt, extras.roundFinishedAt) },
    sites: result.perSite.map((s) => ({ site: s.name, numExamples: s.validation, auc: s.auc, ...(result.privacy ? { epsilonSpent: epsilon.get(s.name) ?? null } : {}) })),
    facts: [
      { label: 'Federated AUC (all sites\' validation data)', value: result.federated.auc.toFixed(3) },
      { label: 'Pooled reference AUC (central training)', value: extras.pooledAuc.toFixed(3) },
      { label: 'Best local-only AUC', value: extras.bestLocalAuc.toFixed(3) },
      ...extras.facts,
      { label: 'Backend', value: result.backend },
    ],
    notes: [
      'A simulation runs every site in one process on the real round engine; no bytes cross a network, so the traffic chart is empty.',
      'Round durations are wall-clock times of this process, not of a real federation.',
    ],
  };
}
