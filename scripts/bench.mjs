#!/usr/bin/env node
// `pnpm bench`: every benchmark in the repo, one after the other, each printing its own
// figures. Pass names to run a subset: pnpm bench load train. The soak (minutes to tens of
// minutes) runs only when named: pnpm bench soak [--rounds=N]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const BENCHES = {
  load: { what: 'site data loading (10,000 patients × 5,000 variants)', script: 'packages/data/scripts/bench-load.mjs' },
  train: { what: 'local training speed (trainLocal, fused and tape paths, 2,000 × 250 and 2,048 × 10,000/20,000)', script: 'packages/ml/scripts/bench-train.mjs' },
  secagg: { what: 'secure aggregation: client and server time, bytes per site, against plaintext; one site\'s DP critical path before/after; 1,000 sites in one round', script: 'packages/secagg/scripts/bench-secagg.mjs' },
  rounds: { what: 'whole federated rounds over real sockets on loopback (coordinator + site agents), against Flower', script: 'scripts/bench-rounds.mjs' },
  audit: { what: 'audit log verification (1,000 signed entries, as cohort-site audit verify): node:crypto Ed25519 against tweetnacl', script: 'scripts/bench-audit.mjs' },
  refusals: { what: 'refused frames: /healthz during a 500-frame junk burst from an authenticated site, audit growth of a 100,000-frame junk campaign', script: 'scripts/bench-refusals.mjs' },
  soak: { what: 'a long secure-aggregation run (500 rounds, 5 sites × 100k): memory, handles and fds of every process every 50 rounds', script: 'scripts/bench-soak.mjs', onlyWhenNamed: true },
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
const unknown = wanted.filter((w) => !(w in BENCHES));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const [name, bench] of Object.entries(BENCHES)) {
  if (wanted.length > 0 ? !wanted.includes(name) : bench.onlyWhenNamed) continue;
  console.log(`\n== ${name}: ${bench.what}`);
  const r = spawnSync(process.execPath, [bench.script, ...flags], { cwd: root, stdio: 'inherit', env: { ...process.env, COHORTFL_QUIET: '1' } });
  if (r.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
