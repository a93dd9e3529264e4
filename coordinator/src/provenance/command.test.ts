import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectCohortError, tempDir } from '../store/fixtures.test-suite.js';
import { runProvenanceCommand } from './command.js';
import { COORDINATOR, provenanceStore, type ProvenanceFixture } from './fixtures.test-suite.js';
import { verifyProvenance } from './verify.js';

let fx: ProvenanceFixture;
let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  fx = provenanceStore(2);
  dir = tempDir();
});
afterEach(() => {
  fx.cleanup();
  dir.cleanup();
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
}

describe('runProvenanceCommand', () => {
  it('writes the signed JSON and the HTML view, one line per file', () => {
    const out = join(dir.dir, 'prov.json');
    const html = join(dir.dir, 'prov.html');
    const c = capture();
    const record = runProvenanceCommand({ store: fx.store, identity: COORDINATOR, run: fx.run.id, out, html, at: 5 }, c.io);
    expect(c.out).toEqual([
      `wrote provenance of run ${fx.run.id} at round 2 (checkpoint ${record.checkpoint.sha256.slice(0, 12)}…, 2 rounds) to ${out}, signed by coordinator ${record.coordinator.fingerprint}`,
      `wrote the provenance view of run ${fx.run.id} at round 2 to ${html}`,
    ]);
    expect(c.err).toEqual([]);
    const written = JSON.parse(readFileSync(out, 'utf8')) as unknown;
    expect(verifyProvenance(written, COORDINATOR.publicKey).ok).toBe(true);
    expect(readFileSync(html, 'utf8')).toContain('<span class="ok">verified</span>');
  });

  it('prints the JSON alone on stdout without --out', () => {
    const html = join(dir.dir, 'view.html');
    const c = capture();
    runProvenanceCommand({ store: fx.store, identity: COORDINATOR, run: fx.run.id, round: 1, html }, c.io);
    expect(c.out).toHaveLength(1);
    const printed = JSON.parse(c.out[0]!) as { checkpoint: { round: number } };
    expect(printed.checkpoint.round).toBe(1);
    expect(verifyProvenance(printed, COORDINATOR.publicKey).ok).toBe(true);
    expect(c.err).toEqual([`wrote the provenance view of run ${fx.run.id} at round 1 to ${html}`]);
  });

  it('fails cleanly for a missing run or an unwritable file', () => {
    const c = capture();
    expectCohortError(() => runProvenanceCommand({ store: fx.store, identity: COORDINATOR, run: 9 }, c.io), 'NOT_FOUND', /no run 9/);
    const blocked = join(dir.dir, 'a-directory');
    mkdirSync(blocked);
    expectCohortError(() => runProvenanceCommand({ store: fx.store, identity: COORDINATOR, run: fx.run.id, out: blocked }, c.io), 'CONFIG_INVALID', /cannot write/);
    expect(c.out).toEqual([]);
  });
});
