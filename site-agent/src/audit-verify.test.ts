// `cohort-site audit verify`: a coordinator's exported log, checked with the pinned key and
// against the site's own record of what it signed (<stateDir>/signed-messages.jsonl).
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_FORMAT, AUDIT_GENESIS_HASH, encodePublicKey, identityFromSeed, signAuditEntry, type AuditEntry } from '@cohortfl/identity';
import type { SiteMessage } from '@cohortfl/wire';
import { runCli } from './cli-app.js';
import { signedReply } from './replies.js';
import { appendSignedMessage, recordOf, signedMessagesPath, type SignedMessageRecord } from './signed-messages.js';
import { removeTempDirs, siteFolder, type SiteFolder } from './site-fixtures.test-suite.js';

const coordinator = identityFromSeed(new Uint8Array(32).fill(7));
const stranger = identityFromSeed(new Uint8Array(32).fill(8));
const SITE = 'northgate';
const TASK = 'b'.repeat(64);
let folder: SiteFolder;
/** A site that never kept a record. */
let bare: SiteFolder;
let update: SignedMessageRecord;
let result: SignedMessageRecord;

type Input = Pick<AuditEntry, 'kind' | 'site' | 'data'>;
const accepted = (r: SignedMessageRecord, site = SITE): Input => ({
  kind: 'message.accepted',
  site,
  data: { run: r.run, type: r.type, round: r.round, attempt: r.attempt, phase: r.phase, digest: r.digest },
});

/** A log the coordinator signed; `edit` changes inputs before signing (a coordinator rewriting history). */
function signedLog(secretKey: Uint8Array, edit: (inputs: Input[]) => void = () => {}, start = 100): AuditEntry[] {
  const inputs: Input[] = [
    { kind: 'site.enrolled', site: SITE, data: { publicKey: folder.publicKey } },
    { kind: 'run.started', site: null, data: { run: 1, taskHash: TASK, rounds: 1 } },
    accepted(update),
    accepted({ ...update, digest: 'e'.repeat(128) }, 'southbank'),
    accepted(result),
  ];
  edit(inputs);
  // What the coordinator's export ends with.
  inputs.push({ kind: 'audit.exported', site: null, data: { entries: inputs.length } });
  const entries: AuditEntry[] = [];
  inputs.forEach((input, i) => entries.push(signAuditEntry(secretKey, { seq: i + 1, at: start + i, ...input, prevHash: entries[i - 1]?.hash ?? AUDIT_GENESIS_HASH })));
  return entries;
}

function logFile(name: string, entries: AuditEntry[], mutate: (entries: AuditEntry[]) => void = () => {}): string {
  mutate(entries);
  const path = join(folder.dir, name);
  writeFileSync(path, JSON.stringify({ format: AUDIT_FORMAT, coordinatorPublicKey: encodePublicKey(coordinator.publicKey), entries }));
  return path;
}

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

const verify = (path: string, config = folder.configPath, ...more: string[]) => cli(['audit', 'verify', path, '--config', config, ...more]);

beforeAll(() => {
  const options = { site: SITE, coordinatorUrl: 'http://127.0.0.1:7300', coordinatorKey: encodePublicKey(coordinator.publicKey), approved: [], rows: 20 };
  folder = siteFolder(options);
  bare = siteFolder(options);
  const base = { taskHash: TASK, round: 1, attempt: 1, site: SITE, numExamples: 12, metrics: { loss: 0.5 } };
  const sign = (m: SiteMessage) => recordOf(signedReply(folder.identity.secretKey, m), 1, 1000);
  update = sign({ type: 'update/submit', ...base, update: new Float32Array([0.25, -0.5]) });
  result = sign({ type: 'eval/result', ...base });
  const state = join(folder.dir, 'state');
  appendSignedMessage(state, update);
  appendSignedMessage(state, result);
});
afterAll(removeTempDirs);

describe('cohort-site audit verify', () => {
  it('prints OK with the counts for an intact log whose entries for this site match its records', async () => {
    const r = await verify(logFile('ok.json', signedLog(coordinator.secretKey)));
    expect(r).toEqual({
      code: 0,
      out: [
        `OK: 6 entries; chain verifies, anchored by the coordinator's signature on its last entry; 2 entries naming northgate match its own records (2 kept in ${signedMessagesPath(join(folder.dir, 'state'))})`,
        `sealed by the coordinator's export at ${new Date(105).toISOString()}; an older time means entries after it are missing`,
      ],
      err: [],
    });
  });

  it('catches a replaced update digest even when the coordinator re-signed the whole chain', async () => {
    const forged = 'f'.repeat(128);
    const path = logFile('resigned.json', signedLog(coordinator.secretKey, (inputs) => (inputs[2] = accepted({ ...update, digest: forged }))));
    // The chain and signatures alone cannot tell.
    expect((await verify(path, folder.configPath, '--no-site-records')).code).toBe(0);
    const r = await verify(path);
    expect(r.code).toBe(6);
    expect(r.err[0]).toBe(`${path}: seq 3: run 1 update/submit round 1 attempt 1 (train) of northgate: the log has digest ${forged}, but northgate signed ${update.digest}`);
    expect(r.err.at(-1)).toBe(`cohort-site: the audit log ${path} does not verify (1 problem)`);
    // The genuine update is then a message the log does not show.
    expect(r.out).toEqual([expect.stringMatching(/^note: northgate signed run 1 update\/submit round 1 attempt 1 \(train\) .* but the log has no entry for it/)]);
  });

  it('catches an entry for this site it never signed, and one edited behind the signatures', async () => {
    const invented = { ...result, round: 2, digest: '1'.repeat(128) };
    const extra = await verify(logFile('invented.json', signedLog(coordinator.secretKey, (inputs) => inputs.push(accepted(invented)))));
    expect(extra.code).toBe(6);
    expect(extra.err[0]).toMatch(/seq 6: run 1 eval\/result round 2 attempt 1 \(evaluate\) of northgate: the log has digest 1{128}, but northgate has no record of signing such a message$/);

    const path = logFile('edited.json', signedLog(coordinator.secretKey), (entries) => ((entries[2]!.data as { digest: string }).digest = '2'.repeat(128)));
    const edited = await verify(path);
    expect(edited.err).toEqual([
      `${path}: seq 3: hash mismatch; the entry's content was changed after it was logged`,
      `${path}: seq 3: run 1 update/submit round 1 attempt 1 (train) of northgate: the log has digest ${'2'.repeat(128)}, but northgate signed ${update.digest}`,
      `cohort-site: the audit log ${path} does not verify (2 problems)`,
    ]);
  });

  it('lists each problem and exits with SIGNATURE_INVALID (6) for a deleted or reordered entry', async () => {
    const path = logFile('cut.json', signedLog(coordinator.secretKey), (entries) => entries.splice(1, 1));
    const r = await verify(path);
    expect(r.code).toBe(6);
    expect(r.out).toEqual([]);
    expect(r.err).toEqual([
      `${path}: seq 3: follows seq 1; entries 2..2 are missing (deleted)`,
      `${path}: seq 3: prevHash does not match the hash of the entry before it (seq 1); the chain is broken`,
      `${path}: seq 6: the export entry counts 5 entries before it, but the log holds 4`,
      `cohort-site: the audit log ${path} does not verify (3 problems)`,
    ]);
    const swapped = await verify(logFile('swap.json', signedLog(coordinator.secretKey), (e) => ([e[3], e[4]] = [e[4]!, e[3]!])));
    expect(swapped.code).toBe(6);
    expect(swapped.err.join('\n')).toMatch(/seq 4: comes after seq 5; the entries are out of order \(reordered or duplicated\)/);
  });

  it('catches entries cut off the end of the log: the export seal goes with them', async () => {
    const path = logFile('tail.json', signedLog(coordinator.secretKey), (entries) => entries.splice(-2, 2));
    const r = await verify(path, folder.configPath, '--no-site-records');
    expect(r.code).toBe(6);
    expect(r.err[0]).toBe(`${path}: the log does not end with the coordinator's signed export entry (audit.exported): entries may have been cut off its end`);
  });

  it('notes a message the site signed after the export seal that the log does not show, without failing', async () => {
    // The records were signed at 1000 ms, the log sealed at 104 ms: newer than the export.
    const r = await verify(logFile('short.json', signedLog(coordinator.secretKey, (inputs) => inputs.pop())));
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^OK: 5 entries; chain verifies, anchored by the coordinator's signature on its last entry; 1 entry naming northgate match/);
    expect(r.out[2]).toMatch(/^note: northgate signed run 1 eval\/result round 1 attempt 1 \(evaluate\) \(digest [0-9a-f]{16}…\) but the log has no entry for it: signed after this export was sealed/);
  });

  it('fails a log that drops an accepted message of this site signed before the seal, though the coordinator re-signed the chain', async () => {
    // Sealed an hour after the site signed: the update cannot still be in transit.
    const later = 1000 + 3_600_000;
    const intact = await verify(logFile('intact-late.json', signedLog(coordinator.secretKey, () => {}, later)));
    expect(intact.code).toBe(0);
    const path = logFile('dropped.json', signedLog(coordinator.secretKey, (inputs) => inputs.splice(2, 1), later));
    // Chain, signatures and seal are the coordinator's own: only the site's record can tell.
    expect((await verify(path, folder.configPath, '--no-site-records')).code).toBe(0);
    const r = await verify(path);
    expect(r.code).toBe(6);
    expect(r.err).toEqual([
      `${path}: northgate signed run 1 update/submit round 1 attempt 1 (train) (digest ${update.digest.slice(0, 16)}…) at ${new Date(1000).toISOString()}, ` +
        `before the export seal at ${new Date(later + 4).toISOString()}, but the log has no entry for it: the coordinator left it out or deleted it and re-signed the chain (or it was lost in transit)`,
      `cohort-site: the audit log ${path} does not verify (1 problem)`,
    ]);
    // A wider grace period than the gap turns it back into a note.
    const lenient = await verify(path, folder.configPath, '--seal-grace', String(2 * 3600));
    expect(lenient.code).toBe(0);
    expect(lenient.out.at(-1)).toMatch(/^note: northgate signed run 1 update\/submit .* within its grace period/);
  });

  it('accounts for a message the log shows refused, and for one the site knows it never sent', async () => {
    const later = 1000 + 3_600_000;
    const refusedLog = signedLog(
      coordinator.secretKey,
      (inputs) => (inputs[2] = { kind: 'message.refused', site: SITE, data: { reason: 'replayed', code: 'REPLAYED', ...accepted(update).data as object } }),
      later,
    );
    const refused = await verify(logFile('refused.json', refusedLog));
    expect(refused.code).toBe(0);
    expect(refused.out.at(-1)).toBe(`note: northgate signed run 1 update/submit round 1 attempt 1 (train) (digest ${update.digest.slice(0, 16)}…): the coordinator received it and refused it (seq 3)`);
  });


  it('without a record file: NOT_FOUND naming the flag; with --no-site-records, chain and signatures only', async () => {
    const path = logFile('bare.json', signedLog(coordinator.secretKey));
    const missing = await verify(path, bare.configPath);
    expect(missing.code).toBe(14);
    expect(missing.err.join('\n')).toMatch(/no record of signed messages at .*signed-messages\.jsonl: .*add --no-site-records/);
    const only = await verify(path, bare.configPath, '--no-site-records');
    expect(only).toEqual({
      code: 0,
      out: [
        "OK: 6 entries; chain verifies, anchored by the coordinator's signature on its last entry; northgate's own records not checked (--no-site-records)",
        `sealed by the coordinator's export at ${new Date(105).toISOString()}; an older time means entries after it are missing`,
      ],
      err: [],
    });
  });

  it("checks every entry's coordinator signature with --every-signature; by default the last one vouches for the chain", async () => {
    const path = logFile('stored-sig-damaged.json', signedLog(coordinator.secretKey), (entries) => {
      const sig = Buffer.from(entries[1]!.sig, 'base64');
      sig[7] ^= 0x40;
      entries[1]!.sig = sig.toString('base64');
    });
    const anchored = await verify(path);
    expect(anchored.code).toBe(0);
    expect(anchored.out[0]).toMatch(/^OK: \d+ entries; chain verifies, anchored by the coordinator's signature on its last entry;/);
    const every = await verify(path, folder.configPath, '--every-signature');
    expect(every.code).toBe(6);
    expect(every.err[0]).toMatch(/seq 2: the signature does not verify with the pinned coordinator key/);
  });

  it('refuses a log signed by a key other than the pinned one', async () => {
    const r = await verify(logFile('forged.json', signedLog(stranger.secretKey)));
    expect(r.code).toBe(6);
    expect(r.err[0]).toMatch(/seq 1: the signature does not verify with the pinned coordinator key/);
  });

  it('says when the file is missing or not JSON (DATA_INVALID)', async () => {
    const missing = await verify(join(folder.dir, 'nope.json'));
    expect(missing.err.join('\n')).toMatch(/cannot read the audit log .*nope\.json: ENOENT/);
    const notJson = join(folder.dir, 'bad.json');
    writeFileSync(notJson, '{');
    const bad = await verify(notJson);
    expect(bad.err.join('\n')).toMatch(/bad\.json is not JSON/);
    expect(bad.code).toBe(missing.code);
    expect(bad.code).toBe(3);
  });

  // Last: it leaves a torn line in the shared record.
  it('warns about a torn line in the record and still verifies', async () => {
    const path = logFile('torn-ok.json', signedLog(coordinator.secretKey));
    appendFileSync(signedMessagesPath(join(folder.dir, 'state')), '{"at":17');
    const r = await verify(path);
    expect(r.code).toBe(0);
    expect(r.err).toEqual([expect.stringMatching(/^warning: .*signed-messages\.jsonl line 3: torn record/)]);
  });
});
