#!/usr/bin/env node
// `pnpm fuzz [--frames N] [--seed S] [--concurrency C] [--minutes M]`: the wire fuzzer of
// scripts/fuzz-lib.mjs against the built coordinator and site agent, on loopback. Prints
// the outcome of every frame, the counters that must match, and each process's RSS
// (start / peak / end); exits 1 on any violation.
import { parseArgs } from 'node:util';
import { runFuzz } from './fuzz-lib.mjs';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '8' },
    minutes: { type: 'string', default: '40' },
  },
});
const mib = (b) => (b === undefined ? '?' : `${(b / 1048576).toFixed(0)} MiB`);
const started = Date.now();
const r = await runFuzz({
  frames: Number(values.frames),
  seed: Number(values.seed),
  concurrency: Number(values.concurrency),
  timeBudgetMs: Number(values.minutes) * 60_000,
  log: (line) => console.log(line),
});
const row = (name, t) => console.log(`  ${name}: ${t.frames} frames: ${t.closed} closed, ${t.answered} answered, ${t.accepted} accepted (valid, no reply); ${t.invalid} invalid packets, ${t.oversized} oversized`);
console.log(`\ncohortfl wire fuzz (seed ${values.seed}, ${((Date.now() - started) / 1000).toFixed(0)} s)`);
console.log('coordinator (cohort-coordinator serve):');
row('before authentication', r.coordinator.pre);
row('after authentication', r.coordinator.post);
console.log(`  counted: invalid_packet ${r.coordinator.counted.invalid_packet}, frame_too_large ${r.coordinator.counted.frame_too_large}, all refusals ${r.coordinator.counted.all_refusals}, uncaught ${r.coordinator.counted.uncaught}`);
console.log(`  RSS start ${mib(r.coordinator.memory.start)}, peak ${mib(r.coordinator.memory.peak)}, end ${mib(r.coordinator.memory.end)}; up: ${r.coordinator.alive}`);
const a = r.coordinator.audit;
console.log(`  audit log: +${a.added} entries (${Object.entries(a.kinds).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}; bound ${a.bound}), counting ${a.refusalsCounted} refusals`);
console.log('site agent (cohort-site run, from a fake coordinator):');
row('after authentication', r.site.post);
console.log(`  counted: invalid_packet ${r.site.counted.invalid_packet}, all refusals ${r.site.counted.all_refusals}, uncaught ${r.site.counted.uncaught}; invalid packets not sent (reconnect cost): ${r.site.invalidSkipped}`);
console.log(`  RSS start ${mib(r.site.memory.start)}, peak ${mib(r.site.memory.peak)}, end ${mib(r.site.memory.end)}; up: ${r.site.alive}`);
if (r.violations.length > 0) {
  console.log(`\n${r.violations.length} violations:`);
  for (const v of r.violations.slice(0, 50)) console.log(`  ${v}`);
  process.exit(1);
}
console.log('\nno violations');
process.exit(0);
