/** A readable, self-contained HTML view of a provenance record (no scripts, no external resources). */
import { code, esc, iso, metric, pairs, shortHash, STYLE, table, type Cell } from './html-parts.js';
import type { ProvenanceRecord, ProvenanceRound, UnsignedProvenanceRecord } from './types.js';

export interface ProvenanceHtmlStatus {
  /** Whether the caller verified the signature and chain (verifyProvenance) with the pinned key. */
  verified: boolean;
  problems?: readonly string[];
}

const GROUP_AUC = /^auc\/(.+=.*)$/;
const POOLED_GROUP = /^([^/]+)\/(aucGap|worstGroupAuc)$/;

export function provenanceHtml(record: ProvenanceRecord | UnsignedProvenanceRecord, status: ProvenanceHtmlStatus): string {
  const r = record;
  const head = r.rounds.find((x) => x.round === r.checkpoint.round) ?? r.rounds.at(-1);
  const title = `Provenance of ${r.task.name} ${r.task.version}, run ${r.run.id}, checkpoint after round ${r.checkpoint.round}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${esc(title)}</h1>
${header(r, status)}
<h2>Parameters</h2>
${parameters(r)}
<h2>Rounds</h2>
${roundsTable(r.rounds)}
<h2>Per-site metrics, round ${esc(head?.round ?? '—')}</h2>
${head ? perSiteTable(head) : '<p class="none">no rounds</p>'}
<h2>Subgroup AUCs, round ${esc(head?.round ?? '—')}</h2>
${head ? subgroups(head) : '<p class="none">no rounds</p>'}
<h2>Privacy spent (ε per site)</h2>
<p class="note">Each value is the ε the site last reported from its own privacy ledger, as of this record's generation; the coordinator does not compute it.</p>
${table(['site', 'ε spent', 'reported at'], r.privacy.map((p) => [p.site, p.epsilonSpent === null ? null : p.epsilonSpent, iso(p.reportedAt)]))}
<h2>Checkpoint hash chain</h2>
<p class="note">chainHash<sub>r</sub> = SHA-256(canonical JSON of {prev: chainHash<sub>r−1</sub>, round, attempt, checkpointSha256, trained}); round 1's prev is 64 zeros.</p>
${table(['round', 'attempt', 'checkpoint SHA-256', 'chain hash'], r.rounds.map((x) => [x.round, x.attempt, code(x.checkpointSha256), code(x.chainHash)]))}
</body></html>
`;
}

function header(r: ProvenanceRecord | UnsignedProvenanceRecord, status: ProvenanceHtmlStatus): string {
  const signed = 'signature' in r ? `present (${esc(r.signature.alg)}, domain ${esc(r.signature.domain)})` : '<span class="bad">absent</span>';
  const verdict = status.verified
    ? '<span class="ok">verified</span>: the signature and every chain link check out with the coordinator key'
    : `<span class="bad">not verified</span>${(status.problems ?? []).length > 0 ? `<ul>${(status.problems ?? []).map((p) => `<li>${esc(p)}</li>`).join('')}</ul>` : ''}`;
  const rows: [string, string][] = [
    ['task', `${esc(r.task.name)} ${esc(r.task.version)}`],
    ['manifest SHA-256', `<code>${esc(r.task.manifestSha256)}</code>`],
    ['checkpoint', `round ${esc(r.checkpoint.round)} attempt ${esc(r.checkpoint.attempt)}, SHA-256 <code>${esc(r.checkpoint.sha256)}</code>`],
    ['run', `${esc(r.run.id)}: ${esc(r.run.status)}, ${esc(r.run.plannedRounds)} rounds planned, created ${esc(iso(r.run.createdAt))}${r.run.holdOut.length > 0 ? `, held out: ${esc(r.run.holdOut.join(', '))}` : ''}`],
    ['coordinator', `fingerprint <code>${esc(r.coordinator.fingerprint)}</code>, key <code>${esc(r.coordinator.publicKey)}</code>`],
    ['signature', signed],
    ['verification', verdict],
    ['generated', esc(iso(r.generatedAt))],
  ];
  return `<dl>${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('\n')}</dl>`;
}

function parameters(r: ProvenanceRecord | UnsignedProvenanceRecord): string {
  const t = r.task;
  const strategy = pairs([['name', t.strategy.name], ...Object.entries(t.strategy.params).map(([k, v]): [string, Cell] => [k, JSON.stringify(v)]), ['rounds', t.rounds], ['minSites', t.minSites], ['fractionFit', t.fractionFit]]);
  const s = t.secureAggregation;
  const secure = s
    ? pairs([['threshold', s.threshold ?? 'strict majority of the cohort'], ['degree', s.degree === 0 ? 'complete graph' : s.degree], ['clip', s.clip], ['weightScale', s.weightScale], ['stepTimeout (s)', s.stepTimeout]])
    : '<p>off: the coordinator saw each site\'s update</p>';
  const p = t.privacy;
  const privacy = p
    ? pairs([['unit', p.unit], ['clip', p.clip], ['delta', p.delta], ['noiseMultiplier', p.noiseMultiplier ?? 'calibrated per site'], ['targetEpsilon', p.targetEpsilon]])
    : '<p>none: no differential privacy</p>';
  return `<h3>Strategy</h3>${strategy}<h3>Secure aggregation</h3>${secure}<h3>Differential privacy</h3>${privacy}`;
}

function roundsTable(rounds: readonly ProvenanceRound[]): string {
  return table(
    ['round', 'attempt', 'finished', 'cohort', 'trained', 'failures', 'pooled AUC', 'checkpoint'],
    rounds.map((x) => [
      x.round,
      x.attempt,
      iso(x.finishedAt),
      `${x.cohort.length}: ${x.cohort.join(', ')}`,
      `${x.trained.length}: ${x.trained.join(', ')}`,
      x.failures.length === 0 ? null : x.failures.map((f) => `${f.site} (${f.reason})`).join(', '),
      metric(x.evalMetrics['pooled/auc']),
      shortHash(x.checkpointSha256),
    ]),
  );
}

function perSiteTable(round: ProvenanceRound): string {
  const names = [...new Set(round.perSite.flatMap((s) => Object.keys(s.metrics).filter((k) => !GROUP_AUC.test(k))))].sort();
  return table(['site', 'examples', ...names], round.perSite.map((s) => [s.site, s.numExamples, ...names.map((n) => metric(s.metrics[n]))]), 'no site evaluated this round');
}

function subgroups(round: ProvenanceRound): string {
  const pooled: Cell[][] = [];
  for (const [key, value] of Object.entries(round.evalMetrics).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const m = POOLED_GROUP.exec(key);
    if (m) pooled.push([m[1]!, m[2] === 'aucGap' ? 'AUC gap (best − worst group)' : 'worst-group AUC', metric(value)]);
  }
  const groups = [...new Set(round.perSite.flatMap((s) => Object.keys(s.metrics).flatMap((k) => GROUP_AUC.exec(k)?.[1] ?? [])))].sort();
  const sites = round.perSite.map((s) => s.site);
  const perSite = table(['group', ...sites], groups.map((g) => [g, ...round.perSite.map((s) => metric(s.metrics[`auc/${g}`]))]), 'no site reported subgroup AUCs');
  return `<h3>Pooled</h3>${table(['column', 'measure', 'value'], pooled, 'no pooled subgroup metrics')}<h3>Per site</h3>${perSite}`;
}
