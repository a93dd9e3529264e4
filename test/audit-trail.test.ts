// The audit trail end to end: a real run (coordinator and site-agent processes, secure
// aggregation on), `cohort-coordinator audit export`, and `cohort-site audit verify`
// checking the chain, the coordinator's signatures, and every entry naming the site
// against what that site signed and kept. Then each kind of tampering, including a
// dishonest coordinator that rewrites a site's update digest and re-signs the whole chain.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readKeyFile, signAuditEntry, AUDIT_GENESIS_HASH, type AuditEntry, type AuditLog } from '@cohortfl/identity';
import { adminToken, api, cli, COORDINATOR_CLI, createFixture, pointSitesAt, SITE_CLI, startCoordinator, startSite, waitUntil, type Fixture, type Running } from './support/consortium.js';

let fixture: Fixture;
const running: Running[] = [];
let log: AuditLog;
let exportPath: string;

beforeAll(async () => {
  fixture = await createFixture({ rounds: 2 });
  const coordinator = await startCoordinator(fixture);
  running.push(coordinator.proc);
  pointSitesAt(fixture, coordinator.url);
  running.push(...(await Promise.all(fixture.sites.map((s) => startSite(fixture, s.name)))));
  const token = adminToken(fixture);
  await api(coordinator.url, token, '/api/runs', { method: 'POST', body: JSON.stringify({ task: 'cad-mini', rounds: 2 }) });
  await waitUntil(async () => (await api(coordinator.url, token, '/api/status')).run?.status === 'completed', 120_000, 'run completed');
  exportPath = join(fixture.dir, 'audit.json');
  cli(COORDINATOR_CLI, ['audit', 'export', '--data-dir', fixture.coordDir, '--out', exportPath]);
  log = JSON.parse(readFileSync(exportPath, 'utf8')) as AuditLog;
}, 180_000);

afterAll(async () => {
  for (const p of running.splice(0)) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
  if (fixture) rmSync(fixture.dir, { recursive: true, force: true });
});

/** `cohort-site audit verify` as the given site; returns exit code and output. */
function verifyAs(site: string, file: string, ...more: string[]): { code: number | null; out: string } {
  const config = fixture.sites.find((s) => s.name === site)!.configPath;
  const r = spawnSync(process.execPath, [SITE_CLI, 'audit', 'verify', file, '--config', config, ...more], { encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function write(name: string, value: unknown): string {
  const path = join(fixture.dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return path;
}

/** Re-sign the chain from `entries` with the coordinator's own key: what a dishonest coordinator could do. */
function resign(entries: AuditEntry[]): AuditEntry[] {
  const key = readKeyFile(join(fixture.coordDir, 'coordinator.key'));
  const out: AuditEntry[] = [];
  for (const e of entries) {
    const { hash: _h, sig: _s, ...fields } = e;
    out.push(signAuditEntry(key.secretKey, { ...fields, prevHash: out.at(-1)?.hash ?? AUDIT_GENESIS_HASH }));
  }
  return out;
}

describe('the audit trail of a real run', () => {
  it('logs the events that matter', () => {
    const kinds = new Set(log.entries.map((e) => e.kind));
    for (const kind of ['site.enrolled', 'task.published', 'run.started', 'round.started', 'message.accepted', 'round.completed']) expect(kinds.has(kind), kind).toBe(true);
    const accepted = log.entries.filter((e) => e.kind === 'message.accepted');
    // Every accepted message carries the site's signature and the digest it signed.
    for (const e of accepted) {
      expect(e.data).toMatchObject({ digest: expect.stringMatching(/^[0-9a-f]{128}$/), sig: expect.any(String) });
    }
    expect(accepted.some((e) => (e.data as { type: string }).type === 'secagg/masked')).toBe(true);
    const started = log.entries.find((e) => e.kind === 'round.started')!;
    expect((started.data as { cohort: string[] }).cohort.length).toBe(fixture.sites.length);
    expect(log.entries.filter((e) => e.kind === 'round.completed').every((e) => /^[0-9a-f]{64}$/.test((e.data as { checkpointSha256: string }).checkpointSha256))).toBe(true);
  });

  it('verifies at every site: chain, signatures, and each entry naming the site against its own records', () => {
    for (const site of fixture.sites) {
      const r = verifyAs(site.name, exportPath);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(new RegExp(`entries naming ${site.name} match its own records`));
    }
  });

  it('detects a flipped byte, a deleted entry and two reordered entries', () => {
    const site = fixture.sites[0]!.name;
    const text = readFileSync(exportPath, 'utf8');
    const at = text.indexOf('"checkpointSha256": "') + '"checkpointSha256": "'.length;
    const flipped = `${text.slice(0, at)}${text[at] === '0' ? '1' : '0'}${text.slice(at + 1)}`;
    const cases: [string, string, RegExp][] = [
      ['flipped.json', flipped, /hash|signature/i],
      ['deleted.json', JSON.stringify({ ...log, entries: log.entries.filter((_, i) => i !== 3) }), /seq|missing|prevHash/i],
      ['reordered.json', JSON.stringify({ ...log, entries: [log.entries[0], log.entries[2], log.entries[1], ...log.entries.slice(3)] }), /seq|order|prevHash/i],
    ];
    for (const [name, content, message] of cases) {
      const r = verifyAs(site, write(name, content));
      expect(r.code, `${name}: ${r.out}`).not.toBe(0);
      expect(r.out, name).toMatch(message);
    }
  });

  it("catches a coordinator that replaces a site's update digest and re-signs the whole chain", () => {
    const victim = fixture.sites[1]!.name;
    const index = log.entries.findIndex((e) => e.kind === 'message.accepted' && e.site === victim && (e.data as { type: string }).type === 'secagg/masked');
    expect(index).toBeGreaterThan(0);
    const forged = log.entries.map((e, i) => (i === index ? { ...e, data: { ...(e.data as object), digest: 'ab'.repeat(64) } } : e));
    const path = write('forged.json', { ...log, entries: resign(forged) });
    // The chain and signatures are the coordinator's own, so only the site's records can tell.
    const victimView = verifyAs(victim, path);
    expect(victimView.code, victimView.out).not.toBe(0);
    expect(victimView.out).toMatch(new RegExp(`${victim} signed [0-9a-f]{128}`));
    // Another site's records say nothing about the victim's messages.
    const other = verifyAs(fixture.sites[0]!.name, path);
    expect(other.code, other.out).toBe(0);
  });

  it("catches a coordinator that deletes a site's accepted message and re-signs the whole chain", () => {
    const victim = fixture.sites[1]!.name;
    const index = log.entries.findIndex((e) => e.kind === 'message.accepted' && e.site === victim && (e.data as { type: string }).type === 'secagg/masked');
    expect(index).toBeGreaterThan(0);
    const kept = log.entries.filter((_, i) => i !== index);
    // Renumbered, re-chained, re-sealed with the right count: nothing in the log itself shows the gap.
    const seal = kept.at(-1)!;
    const renumbered = kept.map((e, i) => ({ ...e, seq: i + 1, ...(e === seal ? { data: { entries: kept.length - 1 } } : {}) }));
    const path = write('dropped.json', { ...log, entries: resign(renumbered) });
    const chainOnly = spawnSync(process.execPath, [SITE_CLI, 'audit', 'verify', path, '--config', fixture.sites[1]!.configPath, '--no-site-records'], { encoding: 'utf8' });
    expect(chainOnly.status, chainOnly.stdout + chainOnly.stderr).toBe(0);
    // The run and its export took seconds, within the default grace for messages in transit: no grace here.
    const victimView = verifyAs(victim, path, '--seal-grace', '0');
    expect(victimView.code, victimView.out).toBe(6);
    expect(victimView.out).toMatch(new RegExp(`${victim} signed run \\d+ secagg/masked round 1 attempt \\d+ \\(secagg/masked\\) .* before the export seal .* the coordinator left it out or deleted it`));
    // With the default grace the same gap is a note: the export came too soon after the message to tell.
    const lenient = verifyAs(victim, path);
    expect(lenient.code, lenient.out).toBe(0);
    expect(lenient.out).toMatch(/note: .*secagg\/masked/);
    // The untouched export has no such gap.
    expect(verifyAs(victim, exportPath, '--seal-grace', '0').code).toBe(0);
  });
});
