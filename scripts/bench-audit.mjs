#!/usr/bin/env node
// `pnpm bench audit`: verification of a signed audit log as `cohort-site audit verify` does it.
// Builds a log of --entries=N entries (default 1,000) with the real code: half of them
// `message.accepted` entries naming one site and carrying that site's signature over the
// message digest, the rest coordinator events, sealed by an `audit.exported` entry; plus the
// site's record of every message it signed. The log goes through JSON text and back, then is
// verified (chain, every coordinator signature, every site signature, every site record) with
// each Ed25519 implementation: node:crypto (OpenSSL) and tweetnacl (pure JS, the portable
// implementation and test oracle). Also prints sign and verify µs per operation of each.
//
//   node scripts/bench-audit.mjs [--entries=N] [--json]
//
// Needs the built packages (pnpm -s build).
import { createHash } from 'node:crypto';
import * as identity from '../packages/identity/dist/index.js';

const {
  AUDIT_EXPORTED,
  AUDIT_FORMAT,
  AUDIT_GENESIS_HASH,
  AUDIT_MESSAGE_ACCEPTED,
  SIGN_DOMAINS,
  encodePublicKey,
  identityFromSeed,
  signAuditEntry,
  signDigest,
  signingDigest,
  signPayload,
  verifyAuditLog,
  verifyPayload,
} = identity;
// Present from the commit that brought node:crypto Ed25519; older builds have tweetnacl only.
const select = identity.setEd25519Implementation;
const current = identity.ed25519Implementation;

const args = process.argv.slice(2);
const json = args.includes('--json');
const entriesArg = args.find((a) => a.startsWith('--entries='));
const ENTRIES = entriesArg ? Number(entriesArg.slice('--entries='.length)) : 1000;
if (!Number.isSafeInteger(ENTRIES) || ENTRIES < 2) {
  console.error('--entries must be an integer ≥ 2');
  process.exit(2);
}
const log = (...parts) => {
  if (!json) console.log(...parts);
};

const seed = (label) => new Uint8Array(createHash('sha256').update(`bench-audit/${label}`).digest());
const coordinator = identityFromSeed(seed('coordinator'));
const siteKey = identityFromSeed(seed('site'));
const SITE = 'hospital-a';
const TASK = createHash('sha256').update('bench-audit/task').digest('hex');
const T0 = Date.UTC(2026, 0, 1);

/** The log and the site's records, built and signed with the real code. */
function buildLog() {
  const entries = [];
  const records = [];
  let prevHash = AUDIT_GENESIS_HASH;
  const append = (kind, site, data) => {
    const seq = entries.length + 1;
    const entry = signAuditEntry(coordinator.secretKey, { seq, at: T0 + seq * 1000, kind, site, data, prevHash });
    entries.push(entry);
    prevHash = entry.hash;
  };
  for (let i = 0; entries.length < ENTRIES - 1; i++) {
    const round = 1 + (i >> 1);
    if (i % 2 === 0) {
      append('round.started', null, { run: 1, round, attempt: 1, sites: [SITE, 'hospital-b', 'hospital-c'] });
      continue;
    }
    const context = { domain: SIGN_DOMAINS.UPDATE, taskHash: TASK, round, attempt: 1, site: SITE, phase: 'train', run: '1' };
    const body = new Uint8Array(createHash('sha512').update(`update ${round}`).digest());
    const digest = signingDigest(context, body);
    const hex = Buffer.from(digest).toString('hex');
    const sig = Buffer.from(signDigest(siteKey.secretKey, digest)).toString('base64');
    records.push({ at: T0 + (entries.length + 1) * 1000 - 500, run: 1, type: 'update/submit', round, attempt: 1, phase: 'train', digest: hex });
    append(AUDIT_MESSAGE_ACCEPTED, SITE, { run: 1, type: 'update/submit', round, attempt: 1, phase: 'train', digest: hex, sig });
  }
  append(AUDIT_EXPORTED, null, { entries: entries.length });
  return { text: JSON.stringify({ format: AUDIT_FORMAT, coordinatorPublicKey: encodePublicKey(coordinator.publicKey), entries }), records };
}

const cpuMs = (usage) => (usage.user + usage.system) / 1000;

/** Wall and CPU milliseconds of parsing and verifying the whole log once. */
function verifyOnce(text, records) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const verdict = verifyAuditLog(JSON.parse(text), {
    coordinatorPublicKey: coordinator.publicKey,
    requireExportSeal: true,
    site: SITE,
    siteRecords: records,
    sitePublicKey: siteKey.publicKey,
  });
  const wall = performance.now() - start;
  const used = cpuMs(process.cpuUsage(cpu));
  if (!verdict.ok) throw new Error(`the benchmark log does not verify: ${verdict.problems.slice(0, 3).join('; ')}`);
  return { wall, cpu: used };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** µs per sign and per verify (signPayload / verifyPayload over a 32-byte payload, as audit entries are). */
function perOp(ops) {
  const context = { domain: SIGN_DOMAINS.AUDIT, taskHash: AUDIT_GENESIS_HASH, round: 7, attempt: 0, site: 'coordinator', phase: 'audit' };
  const payload = new Uint8Array(32).fill(7);
  signPayload(coordinator.secretKey, context, payload); // key check and caches out of the timing
  let start = performance.now();
  let sig;
  for (let i = 0; i < ops; i++) sig = signPayload(coordinator.secretKey, context, payload);
  const sign = ((performance.now() - start) * 1000) / ops;
  start = performance.now();
  let good = 0;
  for (let i = 0; i < ops; i++) if (verifyPayload(coordinator.publicKey, context, payload, sig)) good += 1;
  const verify = ((performance.now() - start) * 1000) / ops;
  if (good !== ops) throw new Error('a benchmark signature did not verify');
  return { sign, verify };
}

const implementations = select ? ['node', 'tweetnacl'] : ['(before: tweetnacl only)'];
const built = performance.now();
const { text, records } = buildLog();
log(`audit log: ${ENTRIES} entries (${records.length} site messages with site signatures), ${(text.length / 1024).toFixed(0)} KB of JSON, built and signed in ${((performance.now() - built) / 1000).toFixed(2)} s with ${current ? current() : 'tweetnacl'}`);

const results = {};
// Alternating runs of the implementations, so load on a shared machine hits both alike.
const RUNS = 3;
for (let run = 0; run < RUNS; run++) {
  for (const name of implementations) {
    if (select) select(name);
    (results[name] ??= []).push(verifyOnce(text, records));
  }
}
const summary = {};
for (const name of implementations) {
  if (select) select(name);
  const ops = name === 'node' ? 2000 : 100;
  const op = perOp(ops);
  summary[name] = { wallMs: median(results[name].map((r) => r.wall)), cpuMs: median(results[name].map((r) => r.cpu)), signUs: op.sign, verifyUs: op.verify };
}
if (select) select('auto');

for (const [name, s] of Object.entries(summary)) {
  log(
    `${name.padEnd(10)} verify the whole log: ${s.wallMs.toFixed(1)} ms wall, ${s.cpuMs.toFixed(1)} ms CPU (median of ${RUNS}); ` +
      `${(s.wallMs / ENTRIES * 1000).toFixed(0)} µs per entry; sign ${s.signUs.toFixed(1)} µs/op, verify ${s.verifyUs.toFixed(1)} µs/op`,
  );
}
if (summary.node && summary.tweetnacl) {
  log(
    `tweetnacl / node:crypto: ${(summary.tweetnacl.wallMs / summary.node.wallMs).toFixed(0)}× (wall), ${(summary.tweetnacl.cpuMs / summary.node.cpuMs).toFixed(0)}× (CPU) for the log; ` +
      `sign ${(summary.tweetnacl.signUs / summary.node.signUs).toFixed(0)}×, verify ${(summary.tweetnacl.verifyUs / summary.node.verifyUs).toFixed(0)}×`,
  );
}
if (json) console.log(JSON.stringify({ entries: ENTRIES, siteMessages: records.length, runs: RUNS, ...summary }));
