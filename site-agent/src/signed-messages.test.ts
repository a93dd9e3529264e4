// The site's record of what it signed: append format, durability, permissions, torn lines,
// and a digest equal to the one the coordinator computes from the decoded message.
import { appendFileSync, chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auditDigestHex, identityFromSeed, signingDigest } from '@cohortfl/identity';
import { signingContext } from '@cohortfl/protocol';
import { createCodec, encodeBody, type RoundStart, type UpdateSubmit } from '@cohortfl/wire';
import { signedReply } from './replies.js';
import { appendSignedMessage, auditRecords, readSignedMessages, recordOf, runOf, signedMessagesPath, type SignedMessageRecord } from './signed-messages.js';
import { removeTempDirs, tempDir } from './site-fixtures.test-suite.js';

afterAll(removeTempDirs);

const site = identityFromSeed(new Uint8Array(32).fill(3));
const TASK = 'a'.repeat(64);
const update: UpdateSubmit = { type: 'update/submit', taskHash: TASK, round: 2, attempt: 1, site: 'northgate', update: new Float32Array([0.5, -0.25, 1e-3]), numExamples: 40, metrics: { loss: 0.6 } };
const record = (round: number, digest = 'c'.repeat(128)): SignedMessageRecord => ({ at: 1_700_000_000_000 + round, run: 4, type: 'eval/result', round, attempt: 1, phase: 'evaluate', digest });

describe('signed-message record', () => {
  it('records the digest the coordinator computes from the message it decodes', () => {
    const envelope = signedReply(site.secretKey, update, 7);
    const codec = createCodec({ maxMessageBytes: 1 << 20 });
    const received = codec.decode(codec.encode(envelope));
    const coordinatorDigest = auditDigestHex(signingDigest(signingContext(received, 7), encodeBody(received.body)));
    expect(recordOf(envelope, 7, 123)).toEqual({ at: 123, run: 7, type: 'update/submit', round: 2, attempt: 1, phase: 'train', digest: coordinatorDigest });
    // Another body is another digest.
    expect(recordOf(signedReply(site.secretKey, { ...update, numExamples: 41 }, 7), 7).digest).not.toBe(coordinatorDigest);
    // The same message signed for another run is another digest: runs never share signatures.
    expect(recordOf(signedReply(site.secretKey, update, 8), 8).digest).not.toBe(coordinatorDigest);
  });

  it('takes the run from the signed round config, or null when it names none', () => {
    const start = { config: { runId: 12 } } as unknown as RoundStart;
    expect(runOf(start)).toBe(12);
    expect(runOf({ config: { runId: 'r-1' } } as unknown as RoundStart)).toBe('r-1');
    expect(runOf({ config: {} } as unknown as RoundStart)).toBeNull();
    expect(runOf({ config: { runId: { nested: 1 } } } as unknown as RoundStart)).toBeNull();
  });

  it('appends one JSON line per message to a 0600 file in a new state folder, and reads them back', () => {
    const dir = join(tempDir(), 'state');
    appendSignedMessage(dir, record(1));
    appendSignedMessage(dir, record(2, 'd'.repeat(128)));
    const path = signedMessagesPath(dir);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(Object.keys(JSON.parse(lines[0]!) as object)).toEqual(['at', 'run', 'type', 'round', 'attempt', 'phase', 'digest']);
    expect(readSignedMessages(dir)).toEqual({ path, records: [record(1), record(2, 'd'.repeat(128))], damaged: [] });
    expect(auditRecords([record(1)])).toEqual([{ at: 1_700_000_000_001, run: 4, type: 'eval/result', round: 1, attempt: 1, phase: 'evaluate', digest: 'c'.repeat(128) }]);
    // The marker that a recorded message was never sent reads back and reaches the verifier.
    appendSignedMessage(dir, { ...record(2, 'd'.repeat(128)), undelivered: true });
    expect(readSignedMessages(dir).records.at(-1)).toEqual({ ...record(2, 'd'.repeat(128)), undelivered: true });
    expect(auditRecords(readSignedMessages(dir).records).at(-1)).toMatchObject({ digest: 'd'.repeat(128), undelivered: true });
  });

  it('tightens a file others could write to 0600 on the next append', () => {
    const dir = tempDir();
    appendSignedMessage(dir, record(1));
    chmodSync(signedMessagesPath(dir), 0o666);
    appendSignedMessage(dir, record(2));
    expect(statSync(signedMessagesPath(dir)).mode & 0o777).toBe(0o600);
    expect(readSignedMessages(dir).records).toHaveLength(2);
  });

  it('tolerates and reports a torn last line, and keeps the next record whole', () => {
    const dir = tempDir();
    appendSignedMessage(dir, record(1));
    const path = signedMessagesPath(dir);
    // A crash mid-append: half a record, no newline.
    appendFileSync(path, JSON.stringify(record(2)).slice(0, 30));
    const torn = readSignedMessages(dir);
    expect(torn.records).toEqual([record(1)]);
    expect(torn.damaged).toEqual([`${path} line 2: torn record (the agent stopped while writing it; that message was not sent)`]);

    appendSignedMessage(dir, record(3));
    const after = readSignedMessages(dir);
    expect(after.records).toEqual([record(1), record(3)]);
    expect(after.damaged).toEqual([`${path} line 2: not a record (cut short or damaged); ignored`]);
  });

  it('reports a line that is JSON but not a record, and reads an empty file as no records', () => {
    const dir = tempDir();
    writeFileSync(signedMessagesPath(dir), '');
    expect(readSignedMessages(dir)).toMatchObject({ records: [], damaged: [] });
    writeFileSync(signedMessagesPath(dir), `${JSON.stringify({ ...record(1), digest: 'short' })}\n${JSON.stringify(record(2))}\n`);
    expect(readSignedMessages(dir)).toMatchObject({ records: [record(2)], damaged: [expect.stringMatching(/line 1: not a record/)] });
  });

  it('throws DATA_INVALID when it cannot append (the caller then sends nothing), NOT_FOUND when there is no file', () => {
    const dir = tempDir();
    mkdirSync(signedMessagesPath(dir));
    expect(() => appendSignedMessage(dir, record(1))).toThrow(expect.objectContaining({ code: 'DATA_INVALID', message: expect.stringMatching(/cannot record the signed message in .*signed-messages\.jsonl: EISDIR/) }));
    expect(() => readSignedMessages(tempDir())).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });
});
