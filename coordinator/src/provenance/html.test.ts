import { beforeEach, describe, expect, it } from 'vitest';
import { freshRecordEachTest, type ProvenanceFixture } from './fixtures.test-suite.js';
import { provenanceHtml } from './html.js';
import type { ProvenanceRecord } from './types.js';

const fresh = freshRecordEachTest(2);
let fx: ProvenanceFixture;
let record: ProvenanceRecord;
beforeEach(() => ({ fx, record } = { fx: fresh.fx(), record: fresh.record() }));

const HOSTILE = '<script>alert("x")</script>&\'';

describe('provenanceHtml', () => {
  it('shows the header, parameters, rounds, per-site and subgroup metrics, ε and the chain', () => {
    const html = provenanceHtml(record, { verified: true });
    const head = record.rounds[1]!;
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('cad-risk 1.2.0');
    expect(html).toContain(record.task.manifestSha256);
    expect(html).toContain(record.coordinator.fingerprint);
    expect(html).toContain('<span class="ok">verified</span>');
    expect(html).toContain('present (ed25519, domain cohortfl/v1/provenance)');
    expect(html).toContain('<td>serverLearningRate</td><td>0.05</td>');
    expect(html).toContain('<td>noiseMultiplier</td><td class="num">1.1</td>');
    expect(html).toContain(`<code title="${head.checkpointSha256}">${head.checkpointSha256.slice(0, 12)}…</code>`);
    expect(html).toContain('<td>0.7200</td>'); // pooled AUC of round 2
    expect(html).toContain('<td>sex=M</td><td>0.7200</td><td class="none">—</td>'); // site-b has no sex=M AUC
    expect(html).toContain('<td>sex</td><td>AUC gap (best − worst group)</td><td>0.0400</td>');
    expect(html).toContain('<td>site-a</td><td class="num">1.25</td>');
    expect(html).toContain(`<code>${head.chainHash}</code>`);
    expect(html).not.toMatch(/<script|https?:\/\/|<link|src=/i);
  });

  it('escapes hostile site names, task names and problems', () => {
    record.rounds[1]!.perSite[0]!.site = HOSTILE;
    record.rounds[1]!.cohort[0] = HOSTILE;
    record.privacy[0]!.site = HOSTILE;
    record.task.name = HOSTILE;
    const html = provenanceHtml(record, { verified: false, problems: [`round 2: ${HOSTILE}`] });
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
    expect(html).toContain('<span class="bad">not verified</span><ul><li>round 2: &lt;script&gt;');
  });

  it('says when secure aggregation and DP were off and the signature is absent', () => {
    record.task.secureAggregation = null;
    record.task.privacy = null;
    const { signature: _s, ...unsigned } = record;
    const html = provenanceHtml(unsigned, { verified: false });
    expect(html).toContain("off: the coordinator saw each site's update");
    expect(html).toContain('none: no differential privacy');
    expect(html).toContain('<dt>signature</dt><dd><span class="bad">absent</span></dd>');
  });
});
