/**
 * Evidence of what the coordinator told each site: `cohort-site audit evidence` exports this
 * site's coordinator-messages.jsonl as a bundle another hospital can check, and
 * `cohort-site audit compare` checks several sites' records against the coordinator's public key.
 *
 * - A record whose coordinator signature does not verify over its context and body hash is
 *   FORGED (or damaged): it proves nothing, and is reported as such, never as equivocation.
 * - Two validly signed records of the same run and signed step (type, task, round, attempt,
 *   phase) whose body hashes differ are EQUIVOCATION: the coordinator signed two different
 *   messages where the protocol has one broadcast. The signatures alone prove it, since the
 *   coordinator's signature names no recipient; the sites' `facts` show what differs.
 * - Two records with the same body hash but different `facts` mean a site's reading is wrong:
 *   INCONSISTENT, a problem with that site's record, not with the coordinator.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { decodePublicKey, encodePublicKey, signingDigestFromPayloadHash, verifyDigest, type SignContext } from '@cohortfl/identity';
import { COORDINATOR_SIGNER } from '@cohortfl/protocol';
import { canonicalJson, CohortError, isCohortError } from '@cohortfl/wire';
import { parseCoordinatorRecord, readCoordinatorMessages, type CoordinatorMessageRecord } from './coordinator-messages.js';

export const EVIDENCE_FORMAT = 'cohortfl-evidence/1';

/** What `cohort-site audit evidence` writes: self-verifying with the coordinator's public key. */
export interface EvidenceBundle {
  format: typeof EVIDENCE_FORMAT;
  /** The site that kept the records. */
  site: string;
  /** The coordinator key that site pinned: the records' signatures are checked with the comparer's own pinned key. */
  coordinatorPublicKey: string;
  exportedAt: string;
  records: CoordinatorMessageRecord[];
}

/** One site's records, from its state folder or from a bundle. */
export interface EvidenceSource {
  /** Where they came from (a file path), for messages. */
  source: string;
  site: string;
  records: CoordinatorMessageRecord[];
  /** Lines or entries that were not records. */
  damaged: string[];
}

export function evidenceBundle(site: string, coordinatorPublicKey: string, stateDir: string, now = new Date()): { bundle: EvidenceBundle; damaged: string[] } {
  const { records, damaged } = readOwnRecords(stateDir);
  return { bundle: { format: EVIDENCE_FORMAT, site, coordinatorPublicKey, exportedAt: now.toISOString(), records }, damaged };
}

export function ownEvidence(site: string, stateDir: string): EvidenceSource {
  const { path, records, damaged } = readOwnRecords(stateDir);
  return { source: path, site, records, damaged };
}

function readOwnRecords(stateDir: string) {
  try {
    return readCoordinatorMessages(stateDir);
  } catch (error) {
    if (!isCohortError(error, 'NOT_FOUND')) throw error;
    throw new CohortError('NOT_FOUND', `${error.message}: this site has acted on no coordinator-signed message since it began keeping the record, or stateDir is not the one the agent ran with`, { cause: error });
  }
}

/** Writes a bundle to a new file (never overwrites); DATA_INVALID when it cannot. */
export function writeEvidenceFile(path: string, bundle: EvidenceBundle): void {
  try {
    writeFileSync(path, `${JSON.stringify(bundle, null, 1)}\n`, { flag: 'wx', mode: 0o644 });
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new CohortError('DATA_INVALID', `cannot write the evidence file ${path}: ${why}${why === 'EEXIST' ? ' (it is never overwritten; choose another name)' : ''}`, { cause: error });
  }
}

/** Reads a bundle written by `cohort-site audit evidence`; DATA_INVALID when it is not one. */
export function readEvidenceFile(path: string): EvidenceSource {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new CohortError('DATA_INVALID', `cannot read the evidence file ${path}: ${why}`, { cause: error });
  }
  const b = json as Partial<Record<keyof EvidenceBundle, unknown>> | null;
  if (typeof b !== 'object' || b === null || b.format !== EVIDENCE_FORMAT || typeof b.site !== 'string' || !Array.isArray(b.records)) {
    throw new CohortError('DATA_INVALID', `${path} is not an evidence bundle (${EVIDENCE_FORMAT}: format, site, records) from cohort-site audit evidence`);
  }
  const records: CoordinatorMessageRecord[] = [];
  const damaged: string[] = [];
  b.records.forEach((raw, i) => {
    const record = parseCoordinatorRecord(raw);
    if (record) records.push(record);
    else damaged.push(`${path} record #${i + 1}: not a record; ignored`);
  });
  return { source: path, site: b.site, records, damaged };
}

export interface Equivocation {
  /** e.g. `run 3 secagg/unmask round 2 attempt 1 (task 1a2b3c4d…)`. */
  step: string;
  /** Each distinct signed body, with the sites that received it and their reading of it. */
  versions: { body: string; sites: string[]; facts: unknown }[];
  /** Top-level fields of the facts whose values differ between versions. */
  differing: string[];
}

export interface Comparison {
  sites: string[];
  records: number;
  /** Signed steps seen by two or more sites (the ones that could be compared). */
  shared: number;
  forged: string[];
  equivocations: Equivocation[];
  inconsistent: string[];
  notes: string[];
}

/** Whether the record's coordinator signature verifies over its context and body hash, with the record's own round key. */
export function recordVerifies(coordinatorPublicKey: Uint8Array, r: CoordinatorMessageRecord): boolean {
  if (r.context.round !== r.round || r.context.attempt !== r.attempt) return false;
  const hash = Buffer.from(r.body, 'hex');
  const sig = Buffer.from(r.sig, 'base64');
  if (sig.toString('base64') !== r.sig) return false;
  try {
    return verifyDigest(coordinatorPublicKey, signingDigestFromPayloadHash(r.context as SignContext, hash), sig);
  } catch {
    return false;
  }
}

const task = (c: SignContext) => `${c.taskHash.slice(0, 8)}…`;
const stepOf = (r: CoordinatorMessageRecord) =>
  `run ${r.run === null ? '(none)' : String(r.run)} ${r.type}${r.context.phase !== r.type ? ` (${r.context.phase})` : ''} round ${r.round} attempt ${r.attempt} of task ${task(r.context)}`;
const contextKey = (c: SignContext, recipient: string | undefined) => JSON.stringify([c.domain, c.taskHash, c.round, c.attempt, recipient ?? c.site, c.phase]);
const factsJson = (facts: unknown) => canonicalJson(facts, { nonFinite: 'null', what: 'recorded facts' });

/**
 * Compares every site's records. The coordinator's signature covers the context (which names
 * no recipient: COORDINATOR_SIGNER) and the body, so for one signed step every honest site
 * holds the same body hash. A step whose context named its recipient could not be compared by
 * signature: such records are grouped per step and compared by the sites' readings, as notes.
 */
export function compareEvidence(coordinatorPublicKey: Uint8Array, sources: readonly EvidenceSource[]): Comparison {
  const forged: string[] = [];
  const inconsistent: string[] = [];
  const notes: string[] = [];
  const steps = new Map<string, { record: CoordinatorMessageRecord; site: string }[]>();
  let count = 0;
  for (const source of sources) {
    for (const r of source.records) {
      count += 1;
      if (r.site !== source.site) {
        forged.push(`${source.source}: a record of ${stepOf(r)} names ${r.site} as its keeper, but the file is ${source.site}'s; not compared`);
        continue;
      }
      if (!recordVerifies(coordinatorPublicKey, r)) {
        forged.push(`${source.source}: ${source.site}'s record of ${stepOf(r)} (body ${r.body.slice(0, 16)}…): FORGED or damaged: its coordinator signature does not verify with ${encodePublicKey(coordinatorPublicKey)}; it proves nothing`);
        continue;
      }
      const broadcast = r.context.site === COORDINATOR_SIGNER;
      const key = JSON.stringify([r.run, r.type, contextKey(r.context, broadcast ? undefined : '*')]);
      const list = steps.get(key) ?? [];
      list.push({ record: r, site: source.site });
      steps.set(key, list);
    }
  }
  const equivocations: Equivocation[] = [];
  let shared = 0;
  for (const list of steps.values()) {
    const first = list[0]!.record;
    if (new Set(list.map((x) => x.site)).size > 1) shared += 1;
    const broadcast = first.context.site === COORDINATOR_SIGNER;
    // By signed body when the signature names no recipient; else only by the sites' readings.
    const versionOf = (r: CoordinatorMessageRecord) => (broadcast ? r.body : factsJson(r.facts));
    interface Version {
      body: string;
      sites: string[];
      facts: unknown;
      factsSeen: Map<string, string[]>;
    }
    const versions = new Map<string, Version>();
    for (const { record, site } of list) {
      const id = versionOf(record);
      const v: Version = versions.get(id) ?? { body: record.body, sites: [], facts: record.facts, factsSeen: new Map<string, string[]>() };
      if (!v.sites.includes(site)) v.sites.push(site);
      const seen = factsJson(record.facts);
      v.factsSeen.set(seen, [...(v.factsSeen.get(seen) ?? []), site]);
      versions.set(id, v);
    }
    for (const v of versions.values()) {
      if (v.factsSeen.size > 1) {
        const readings = [...v.factsSeen.values()].map((sites) => sites.join(', ')).join(' / ');
        inconsistent.push(`${stepOf(first)}: the same signed body ${v.body.slice(0, 16)}… is recorded with different contents by ${readings}: a site's record is wrong (not the coordinator's doing)`);
      }
    }
    if (versions.size < 2) continue;
    const all = [...versions.values()].map(({ body, sites, facts }) => ({ body, sites: [...sites].sort(), facts }));
    if (!broadcast) {
      notes.push(`${stepOf(first)}: sites were sent different contents (${all.map((v) => v.sites.join(', ')).join(' / ')}); this step's signature names each recipient, so the difference rests on the sites' records, not on the signatures`);
      continue;
    }
    equivocations.push({ step: stepOf(first), versions: all, differing: differingFields(all.map((v) => v.facts)) });
  }
  return { sites: sources.map((s) => s.site), records: count, shared, forged, equivocations, inconsistent, notes };
}

function differingFields(facts: unknown[]): string[] {
  const keys = new Set<string>();
  for (const f of facts) if (typeof f === 'object' && f !== null) for (const k of Object.keys(f)) keys.add(k);
  return [...keys].filter((k) => new Set(facts.map((f) => factsJson((f as Record<string, unknown> | null)?.[k] ?? null))).size > 1).sort();
}

/** Decodes the `--coordinator-key` text; CONFIG_INVALID when it is not a key. */
export function coordinatorKeyOf(text: string): Uint8Array {
  try {
    return decodePublicKey(text);
  } catch (error) {
    throw new CohortError('CONFIG_INVALID', `not a coordinator public key (ed25519:…): ${JSON.stringify(text)}`, { cause: error });
  }
}
