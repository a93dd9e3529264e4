/**
 * Checks a provenance record read from anywhere: its format, the coordinator's
 * signature under the pinned key, and every link of the checkpoint hash chain.
 * Never throws; each problem is one sentence naming where it is.
 */
import { encodePublicKey, SIGN_DOMAINS, verifyPayload } from '@cohortfl/identity';
import { chainHash, PROVENANCE_GENESIS_HASH } from './chain.js';
import { provenanceContext, provenanceDigest } from './sign.js';
import { PROVENANCE_FORMAT, type ProvenanceRecord } from './types.js';

export type ProvenanceVerdict = { ok: true; record: ProvenanceRecord } | { ok: false; problems: string[] };

const HEX64 = /^[0-9a-f]{64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isHex = (v: unknown): v is string => typeof v === 'string' && HEX64.test(v);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

export function verifyProvenance(json: unknown, publicKey: Uint8Array): ProvenanceVerdict {
  try {
    const problems = shapeProblems(json);
    if (problems.length > 0) return { ok: false, problems };
    const record = json as ProvenanceRecord;
    problems.push(...keyProblems(record, publicKey), ...signatureProblems(record, publicKey), ...chainProblems(record));
    return problems.length === 0 ? { ok: true, record } : { ok: false, problems };
  } catch (error) {
    // Only a hostile input (e.g. a getter that throws) gets here; still an answer, not an exception.
    return { ok: false, problems: [`the record cannot be checked: ${error instanceof Error ? error.message : String(error)}`] };
  }
}

/** What the signature and chain checks read; the JSON schema describes the rest. */
function shapeProblems(json: unknown): string[] {
  if (!isObj(json)) return ['the record is not a JSON object'];
  if (json['format'] !== PROVENANCE_FORMAT) return [`format is ${JSON.stringify(json['format'])}, expected '${PROVENANCE_FORMAT}'`];
  const out: string[] = [];
  const task = json['task'];
  if (!isObj(task) || !isHex(task['manifestSha256'])) out.push('task.manifestSha256 is not 64 lowercase hex characters');
  const coordinator = json['coordinator'];
  if (!isObj(coordinator) || typeof coordinator['publicKey'] !== 'string') out.push('coordinator.publicKey is missing');
  const sig = json['signature'];
  if (!isObj(sig)) out.push('signature is missing');
  else {
    if (sig['alg'] !== 'ed25519') out.push(`signature.alg is ${JSON.stringify(sig['alg'])}, expected 'ed25519'`);
    if (sig['domain'] !== SIGN_DOMAINS.PROVENANCE) out.push(`signature.domain is ${JSON.stringify(sig['domain'])}, expected '${SIGN_DOMAINS.PROVENANCE}'`);
    if (typeof sig['value'] !== 'string' || !BASE64.test(sig['value'])) out.push('signature.value is not padded base64');
  }
  const cp = json['checkpoint'];
  if (!isObj(cp) || !isCount(cp['round']) || !isCount(cp['attempt']) || !isHex(cp['sha256']) || !isHex(cp['chainHash'])) {
    out.push('checkpoint needs round, attempt (integers), sha256 and chainHash (64 lowercase hex characters)');
  }
  const rounds = json['rounds'];
  if (!Array.isArray(rounds) || rounds.length === 0) out.push('rounds is not a non-empty array');
  else {
    rounds.forEach((r: unknown, i) => {
      const at = isObj(r) && isCount(r['round']) ? `round ${r['round']}` : `rounds[${i}]`;
      if (!isObj(r) || !isCount(r['round']) || !isCount(r['attempt'])) out.push(`${at}: round and attempt must be non-negative integers`);
      else if (!isHex(r['checkpointSha256']) || !isHex(r['chainHash'])) out.push(`${at}: checkpointSha256 and chainHash must be 64 lowercase hex characters`);
      else if (!isStrings(r['trained'])) out.push(`${at}: trained is not a list of site names`);
    });
  }
  return out;
}

function keyProblems(record: ProvenanceRecord, publicKey: Uint8Array): string[] {
  let pinned: string;
  try {
    pinned = encodePublicKey(publicKey);
  } catch {
    return ['the public key to verify with is not a 32-byte Ed25519 key'];
  }
  return record.coordinator.publicKey === pinned
    ? []
    : [`coordinator.publicKey is ${record.coordinator.publicKey}, not the pinned coordinator key ${pinned}`];
}

function signatureProblems(record: ProvenanceRecord, publicKey: Uint8Array): string[] {
  const signature = new Uint8Array(Buffer.from(record.signature.value, 'base64'));
  const ok = verifyPayload(publicKey, provenanceContext(record), provenanceDigest(record), signature);
  return ok ? [] : ['signature: does not verify with the pinned coordinator key (the record was changed after signing, or another key signed it)'];
}

function chainProblems(record: ProvenanceRecord): string[] {
  const out: string[] = [];
  let prev = PROVENANCE_GENESIS_HASH;
  let expected = 1;
  for (const r of record.rounds) {
    const at = `round ${r.round}`;
    if (r.round > expected) out.push(`${at}: follows round ${expected - 1}; ${expected === r.round - 1 ? `round ${expected} is` : `rounds ${expected}-${r.round - 1} are`} missing (removed)`);
    if (r.round < expected) out.push(`${at}: comes after round ${expected - 1}; the rounds are out of order or duplicated`);
    if (chainHash(prev, r) !== r.chainHash) {
      out.push(`${at}: chainHash does not match SHA-256 of {prev, round, attempt, checkpointSha256, trained}; this round's attempt, trained sites or checkpoint hash changed, or a round before it was changed or removed`);
    }
    prev = r.chainHash;
    expected = r.round + 1;
  }
  const head = record.rounds.at(-1)!;
  const cp = record.checkpoint;
  if (cp.round !== head.round || cp.attempt !== head.attempt) {
    out.push(`checkpoint: names round ${cp.round} attempt ${cp.attempt}, but the last round in the record is round ${head.round} attempt ${head.attempt}`);
  }
  if (cp.sha256 !== head.checkpointSha256) out.push(`checkpoint: sha256 differs from round ${head.round}'s checkpointSha256`);
  if (cp.chainHash !== head.chainHash) out.push(`checkpoint: chainHash differs from round ${head.round}'s chainHash`);
  return out;
}
