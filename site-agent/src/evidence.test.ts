// Evidence of equivocation: a coordinator that signs different rosters and unmask requests
// for different sites in one round attempt is caught by comparing the sites' records; honest
// records compare clean; a record with a tampered signature is reported as forged; the
// record file survives a crash mid-append.
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePublicKey, identityFromSeed } from '@cohortfl/identity';
import { signEnvelope, verifyEnvelope } from '@cohortfl/protocol';
import { createEnvelope, type Envelope, type RoundStart, type SecAggRoster, type SecAggUnmask } from '@cohortfl/wire';
import { runCli } from './cli-app.js';
import { appendCoordinatorMessage, coordinatorMessagesPath, coordinatorRecordOf, readCoordinatorMessages, type CoordinatorMessageRecord } from './coordinator-messages.js';
import { compareEvidence, ownEvidence, recordVerifies } from './evidence.js';
import { removeTempDirs, siteFolder, tempDir, type SiteFolder } from './site-fixtures.test-suite.js';

const coordinator = identityFromSeed(new Uint8Array(32).fill(21));
const impostor = identityFromSeed(new Uint8Array(32).fill(22));
const TASK = 'c'.repeat(64);
const SITES = ['northgate', 'southbank', 'eastside'] as const;
const folders: Record<string, SiteFolder> = {};
const round = { taskHash: TASK, round: 3, attempt: 2 };
const state = (site: string) => join(folders[site]!.dir, 'state');

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const entry = (site: string, i: number, identityKey = encodePublicKey(identityFromSeed(bytes(32, 40 + i)).publicKey)) => ({
  site,
  cPk: bytes(32, i + 1),
  sPk: bytes(32, i + 101),
  keySig: bytes(64, i + 201),
  identityKey,
});

const start: RoundStart = { type: 'round/start', ...round, phase: 'train', cohort: [...SITES], config: { runId: 5, secure: true }, weights: new Float32Array([0.5, -0.25, 1]) };
const roster: SecAggRoster = { type: 'secagg/roster', ...round, threshold: 2, degree: 0, roster: SITES.map((s, i) => entry(s, i)) };
// Told to southbank only: eastside's entry carries an identity key the coordinator holds.
const substituted: SecAggRoster = { ...roster, roster: SITES.map((s, i) => (s === 'eastside' ? entry(s, i, encodePublicKey(impostor.publicKey)) : entry(s, i))) };
const unmask: SecAggUnmask = { type: 'secagg/unmask', ...round, survivors: [...SITES], dropped: [] };
// Told to southbank only: "eastside dropped", so southbank reveals eastside's mask-key share too.
const split: SecAggUnmask = { ...unmask, survivors: ['northgate', 'southbank'], dropped: ['eastside'] };

// Signed for run 5, as the coordinator signs every message of that run.
const signed = (body: RoundStart | SecAggRoster | SecAggUnmask, key = coordinator.secretKey): Envelope => signEnvelope(key, createEnvelope(body.type, body as never) as Envelope, 5);

/** What each site's agent appends as it receives each message (agent.ts keepEvidence). */
function receive(site: string, envelopes: Envelope[]): void {
  envelopes.forEach((envelope, i) => appendCoordinatorMessage(state(site), coordinatorRecordOf(envelope, site, 5, 1_000 + i)));
}

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}
const exportOf = async (site: string) => {
  const path = join(tempDir(), `${site}.evidence.json`);
  const r = await cli(['audit', 'evidence', '--config', folders[site]!.configPath, '--out', path]);
  expect(r.code, r.err.join('\n')).toBe(0);
  return path;
};

beforeAll(() => {
  for (const site of SITES) folders[site] = siteFolder({ site, coordinatorUrl: 'http://127.0.0.1:7300', coordinatorKey: encodePublicKey(coordinator.publicKey), approved: [], rows: 20 });
  receive('northgate', [signed(start), signed(roster), signed(unmask)]);
  receive('eastside', [signed(start), signed(roster), signed(unmask)]);
  receive('southbank', [signed(start), signed(substituted), signed(split)]);
});
afterAll(removeTempDirs);

describe('equivocation evidence', () => {
  it('the lies are validly signed: each site alone accepts its own version', () => {
    for (const body of [roster, substituted, unmask, split]) expect(verifyEnvelope(coordinator.publicKey, signed(body), 5)).toBe(true);
    for (const site of SITES) for (const r of readCoordinatorMessages(state(site)).records) expect(recordVerifies(coordinator.publicKey, r)).toBe(true);
  });

  it('honest records compare clean', async () => {
    const r = await cli(['audit', 'compare', await exportOf('eastside'), '--config', folders['northgate']!.configPath]);
    expect(r).toEqual({
      code: 0,
      out: ['OK: 6 coordinator-signed records from northgate, eastside; every signature verifies; 3 signed steps seen by two or more sites, each the same message at every site'],
      err: [],
    });
  });

  it('flags the different rosters and unmask requests of one round attempt, naming both sites and the message', async () => {
    const r = await cli(['audit', 'compare', await exportOf('southbank'), '--config', folders['northgate']!.configPath]);
    expect(r.code).toBe(6);
    expect(r.err).toEqual([
      'EQUIVOCATION: run 5 secagg/roster round 3 attempt 2 of task cccccccc…: the coordinator signed 2 different messages (differing in roster):',
      expect.stringMatching(/^ {2}version 1 \(body [0-9a-f]{16}…\) sent to northgate: roster \(3 items\) differs in \[\{"site":"eastside",/),
      expect.stringMatching(/^ {2}version 2 \(body [0-9a-f]{16}…\) sent to southbank: roster \(3 items\) differs in \[\{"site":"eastside",/),
      'EQUIVOCATION: run 5 secagg/unmask round 3 attempt 2 of task cccccccc…: the coordinator signed 2 different messages (differing in dropped, survivors):',
      expect.stringMatching(/^ {2}version 1 \(body [0-9a-f]{16}…\) sent to northgate: dropped \[\]; survivors \["northgate","southbank","eastside"\]$/),
      expect.stringMatching(/^ {2}version 2 \(body [0-9a-f]{16}…\) sent to southbank: dropped \["eastside"\]; survivors \["northgate","southbank"\]$/),
      `cohort-site: the records of northgate, southbank do not agree: 2 equivocations`,
    ]);
    // The substituted key shows in southbank's version of the roster.
    expect(r.err[2]).toContain(encodePublicKey(impostor.publicKey));
    // The round/start was the same for both: not flagged.
    expect(r.err.join('\n')).not.toMatch(/round\/start/);
  });

  it('a third site given the honest version groups with the first; the comparer needs no config of its own', async () => {
    const files = await Promise.all(SITES.map(exportOf));
    const r = await cli(['audit', 'compare', ...files, '--coordinator-key', encodePublicKey(coordinator.publicKey)]);
    expect(r.code).toBe(6);
    expect(r.err).toContainEqual(expect.stringMatching(/version 1 .* sent to eastside, northgate: dropped \[\]/));
    expect(r.err).toContainEqual(expect.stringMatching(/version 2 .* sent to southbank: dropped \["eastside"\]/));
  });

  it('reports a record with a tampered coordinator signature as forged, not as equivocation', async () => {
    const path = await exportOf('eastside');
    const bundle = JSON.parse(readFileSync(path, 'utf8')) as { records: CoordinatorMessageRecord[] };
    // eastside's unmask record, its facts and body hash swapped for the split version's, signature left as is.
    const lie = coordinatorRecordOf(signed(split), 'eastside', 5, 9);
    const i = bundle.records.findIndex((r) => r.type === 'secagg/unmask');
    bundle.records[i] = { ...lie, sig: bundle.records[i]!.sig };
    // And a signature with one bit flipped on the roster record.
    const j = bundle.records.findIndex((r) => r.type === 'secagg/roster');
    const sig = Buffer.from(bundle.records[j]!.sig, 'base64');
    sig[5]! ^= 0x01;
    bundle.records[j] = { ...bundle.records[j]!, sig: sig.toString('base64') };
    writeFileSync(path, JSON.stringify(bundle));
    const r = await cli(['audit', 'compare', path, '--config', folders['northgate']!.configPath]);
    expect(r.code).toBe(6);
    expect(r.err).toEqual([
      expect.stringMatching(/eastside\.evidence\.json: eastside's record of run 5 secagg\/roster round 3 attempt 2 of task cccccccc… \(body [0-9a-f]{16}…\): FORGED or damaged: its coordinator signature does not verify with ed25519:/),
      expect.stringMatching(/eastside\.evidence\.json: eastside's record of run 5 secagg\/unmask round 3 attempt 2 .*: FORGED or damaged/),
      'cohort-site: the records of northgate, eastside do not agree: 2 forged or foreign records',
    ]);
    expect(r.err.join('\n')).not.toMatch(/EQUIVOCATION/);
    // A message genuinely signed by another key is no evidence against this coordinator either.
    const foreign = coordinatorRecordOf(signed(split, impostor.secretKey), 'eastside', 5);
    expect(recordVerifies(coordinator.publicKey, foreign)).toBe(false);
  });

  it('a wrong reading of the same signed message is a problem with the record, not equivocation', () => {
    const honest = ownEvidence('northgate', state('northgate'));
    const misread = { ...honest, site: 'eastside', records: honest.records.map((r) => ({ ...r, site: 'eastside', facts: r.type === 'secagg/unmask' ? { survivors: [], dropped: [] } : r.facts })) };
    const c = compareEvidence(coordinator.publicKey, [honest, misread]);
    expect(c.equivocations).toEqual([]);
    expect(c.inconsistent).toEqual([expect.stringMatching(/secagg\/unmask .* recorded with different contents by northgate \/ eastside: a site's record is wrong/)]);
  });

  it('keeps records small and survives a crash mid-append like signed-messages.jsonl', () => {
    const dir = state('northgate');
    const path = coordinatorMessagesPath(dir);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    for (const r of readCoordinatorMessages(dir).records) expect(JSON.stringify(r).length).toBeLessThan(2500);
    // A crash mid-append: half a record, no newline.
    const next = coordinatorRecordOf(signed({ ...unmask, attempt: 3 }), 'northgate', 5, 2_000);
    appendFileSync(path, JSON.stringify(next).slice(0, 40));
    const torn = readCoordinatorMessages(dir);
    expect(torn.records).toHaveLength(3);
    expect(torn.damaged).toEqual([`${path} line 4: torn record (the agent stopped while writing it; it did not act on that message)`]);
    appendCoordinatorMessage(dir, next);
    const after = readCoordinatorMessages(dir);
    expect(after.records).toHaveLength(4);
    expect(after.records[3]).toEqual(next);
    expect(after.damaged).toEqual([`${path} line 4: not a record (cut short or damaged); ignored`]);
    // The torn line does not stop a comparison.
    expect(compareEvidence(coordinator.publicKey, [ownEvidence('northgate', dir), ownEvidence('eastside', state('eastside'))]).equivocations).toEqual([]);
  });
});
