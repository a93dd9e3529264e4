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
// Then times the command itself, `cohort-site audit verify` as a child process (start-up and
// module loading included) on a 346-entry log in a throwaway site folder; --old-cli=<path to
// another build's site-agent/dist/cli.js> times that build too, in alternating runs.
//
//   node scripts/bench-audit.mjs [--entries=N] [--json] [--old-cli=path]
//
// Needs the built packages (pnpm -s build).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as identity from '../packages/identity/dist/index.js';

const {
  AUDIT_EXPORTED,
  AUDIT_FORMAT,
  AUDIT_GENESIS_HASH,
  AUDIT_MESSAGE_ACCEPTED,
  SIGN_DOMAINS,
  encodePublicKey,
  generateIdentity,
  identityFromSeed,
  writeKeyFile,
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
const oldCliArg = args.find((a) => a.startsWith('--old-cli='));
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
function buildLog(count = ENTRIES, siteIdentity = siteKey) {
  const entries = [];
  const records = [];
  let prevHash = AUDIT_GENESIS_HASH;
  const append = (kind, site, data) => {
    const seq = entries.length + 1;
    const entry = signAuditEntry(coordinator.secretKey, { seq, at: T0 + seq * 1000, kind, site, data, prevHash });
    entries.push(entry);
    prevHash = entry.hash;
  };
  for (let i = 0; entries.length < count - 1; i++) {
    const round = 1 + (i >> 1);
    if (i % 2 === 0) {
      append('round.started', null, { run: 1, round, attempt: 1, sites: [SITE, 'hospital-b', 'hospital-c'] });
      continue;
    }
    const context = { domain: SIGN_DOMAINS.UPDATE, taskHash: TASK, round, attempt: 1, site: SITE, phase: 'train', run: '1' };
    const body = new Uint8Array(createHash('sha512').update(`update ${round}`).digest());
    const digest = signingDigest(context, body);
    const hex = Buffer.from(digest).toString('hex');
    const sig = Buffer.from(signDigest(siteIdentity.secretKey, digest)).toString('base64');
    records.push({ at: T0 + (entries.length + 1) * 1000 - 500, run: 1, type: 'update/submit', round, attempt: 1, phase: 'train', digest: hex });
    append(AUDIT_MESSAGE_ACCEPTED, SITE, { run: 1, type: 'update/submit', round, attempt: 1, phase: 'train', digest: hex, sig });
  }
  append(AUDIT_EXPORTED, null, { entries: entries.length });
  return { text: JSON.stringify({ format: AUDIT_FORMAT, coordinatorPublicKey: encodePublicKey(coordinator.publicKey), entries }), records };
}

const cpuMs = (usage) => (usage.user + usage.system) / 1000;

/** Wall and CPU milliseconds of parsing and verifying the whole log once. */
function verifyOnce(text, records, signatures) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const verdict = verifyAuditLog(JSON.parse(text), {
    coordinatorPublicKey: coordinator.publicKey,
    requireExportSeal: true,
    site: SITE,
    siteRecords: records,
    sitePublicKey: siteKey.publicKey,
    signatures,
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
// How the log is checked: 'anchor' (the default: the chain's hashes and the last entry's
// signature, which vouches for every entry) and 'every' (every entry's signature, as before).
const MODES = ['anchor', 'every'];
const built = performance.now();
const { text, records } = buildLog();
log(`audit log: ${ENTRIES} entries (${records.length} site messages with site signatures), ${(text.length / 1024).toFixed(0)} KB of JSON, built and signed in ${((performance.now() - built) / 1000).toFixed(2)} s with ${current ? current() : 'tweetnacl'}`);

const results = {};
// Alternating runs of the implementations, so load on a shared machine hits both alike.
const RUNS = 3;
for (let run = 0; run < RUNS; run++) {
  for (const name of implementations) {
    if (select) select(name);
    for (const mode of MODES) (results[`${name}/${mode}`] ??= []).push(verifyOnce(text, records, mode));
  }
}
const summary = {};
for (const name of implementations) {
  if (select) select(name);
  const ops = name === 'node' ? 2000 : 100;
  const op = perOp(ops);
  for (const mode of MODES) {
    const r = results[`${name}/${mode}`];
    summary[`${name}/${mode}`] = { wallMs: median(r.map((x) => x.wall)), cpuMs: median(r.map((x) => x.cpu)), signUs: op.sign, verifyUs: op.verify };
  }
}
if (select) select('auto');

for (const [name, s] of Object.entries(summary)) {
  log(
    `${name.padEnd(16)} verify the whole log: ${s.wallMs.toFixed(1)} ms wall, ${s.cpuMs.toFixed(1)} ms CPU (median of ${RUNS}); ` +
      `${(s.wallMs / ENTRIES * 1000).toFixed(0)} µs per entry; sign ${s.signUs.toFixed(1)} µs/op, verify ${s.verifyUs.toFixed(1)} µs/op`,
  );
}
const before = summary['tweetnacl/every'];
const after = summary['node/anchor'];
const nodeEvery = summary['node/every'];
if (before && after && nodeEvery) {
  log(
    `tweetnacl / node:crypto, every signature: ${(before.wallMs / nodeEvery.wallMs).toFixed(0)}× (wall), ${(before.cpuMs / nodeEvery.cpuMs).toFixed(0)}× (CPU); ` +
      `sign ${(before.signUs / nodeEvery.signUs).toFixed(0)}×, verify ${(before.verifyUs / nodeEvery.verifyUs).toFixed(0)}×`,
  );
  log(
    `before (tweetnacl, every signature) / now (node:crypto, anchored, the default): ${(before.wallMs / after.wallMs).toFixed(0)}× (wall), ${(before.cpuMs / after.cpuMs).toFixed(0)}× (CPU)`,
  );
}

/** CPU seconds of this process's reaped children (Linux /proc), or undefined elsewhere. */
function childrenCpu() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100; // cutime + cstime, in USER_HZ ticks
  } catch {
    return undefined;
  }
}

/** `cohort-site audit verify` on a 346-entry log, as a child process: wall and CPU seconds per run. */
function cliRuns() {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const clis = { current: join(root, 'site-agent/dist/cli.js') };
  if (oldCliArg) clis.old = oldCliArg.slice('--old-cli='.length);
  for (const path of Object.values(clis)) if (!existsSync(path)) throw new Error(`no CLI at ${path}`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-audit-'));
  try {
    const site = generateIdentity();
    writeKeyFile(join(dir, 'site.key'), site);
    mkdirSync(join(dir, 'state'));
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'policy.json'), JSON.stringify({ acceptTasks: true, approvedTaskHashes: [], minCohortSize: 2, minCellSize: 1 }));
    const config = { site: SITE, coordinator: { url: 'https://127.0.0.1:1', publicKey: encodePublicKey(coordinator.publicKey) }, keyFile: 'site.key', dataDir: 'data', policy: 'policy.json', stateDir: 'state' };
    writeFileSync(join(dir, 'site.json'), JSON.stringify(config));
    const cliLog = buildLog(346, site);
    writeFileSync(join(dir, 'log.json'), cliLog.text);
    writeFileSync(join(dir, 'state', 'signed-messages.jsonl'), cliLog.records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    const out = {};
    for (let run = 0; run < RUNS; run++) {
      for (const [name, cli] of Object.entries(clis)) {
        const cpu = childrenCpu();
        const start = performance.now();
        const r = spawnSync(process.execPath, [cli, 'audit', 'verify', 'log.json', '--config', 'site.json'], { cwd: dir, encoding: 'utf8' });
        const wall = (performance.now() - start) / 1000;
        const used = cpu === undefined ? undefined : childrenCpu() - cpu;
        if (r.status !== 0) throw new Error(`${name} CLI failed (${r.status}): ${r.stdout}${r.stderr}`);
        (out[name] ??= []).push({ wall, cpu: used });
      }
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const cli = cliRuns();
const cliSummary = {};
for (const [name, runs] of Object.entries(cli)) {
  const cpus = runs.map((r) => r.cpu).filter((c) => c !== undefined);
  cliSummary[name] = { wallS: median(runs.map((r) => r.wall)), cpuS: cpus.length === runs.length ? median(cpus) : undefined };
  const cpuText = cliSummary[name].cpuS === undefined ? '' : `, ${cliSummary[name].cpuS.toFixed(2)} s CPU`;
  log(`cohort-site audit verify, 346 entries, ${name} build: ${cliSummary[name].wallS.toFixed(2)} s wall${cpuText} (median of ${RUNS}, start-up included)`);
}
if (cliSummary.old) {
  const cpuRatio = cliSummary.old.cpuS !== undefined && cliSummary.current.cpuS ? `, ${(cliSummary.old.cpuS / cliSummary.current.cpuS).toFixed(1)}× (CPU)` : '';
  log(`old / current: ${(cliSummary.old.wallS / cliSummary.current.wallS).toFixed(1)}× (wall)${cpuRatio}`);
}
if (json) console.log(JSON.stringify({ entries: ENTRIES, siteMessages: records.length, runs: RUNS, ...summary, cli: cliSummary }));
