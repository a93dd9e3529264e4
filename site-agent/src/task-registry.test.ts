// Issue 12, finding 8: a coordinator sending ever new manifests must not grow the site's
// memory. Only approved manifests are kept; of unapproved ones a bounded set of hashes.
import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { generateIdentity } from '@cohortfl/identity';
import type { SitePolicy } from '@cohortfl/protocol';
import { isCohortError } from '@cohortfl/wire';
import { removeTempDirs, tempDir, tinyTask } from './site-fixtures.test-suite.js';
import { TaskRegistry } from './task-registry.js';

afterAll(() => removeTempDirs());

describe('the task registry', () => {
  it('keeps approved manifests and a bounded number of unapproved hashes, and still refuses unapproved rounds as not approved', async () => {
    const approved = await tinyTask('approved');
    const policy: SitePolicy = { acceptTasks: true, approvedTaskHashes: [approved.hash], minCohortSize: 1 };
    const work = () => ({ load: async () => undefined, train: async () => { throw new Error('unused'); }, evaluate: async () => { throw new Error('unused'); } });
    const registry = new TaskRegistry({ site: 'alpha', policy, dataDir: tempDir(), logger: pino({ level: 'silent' }), identitySecretKey: generateIdentity().secretKey, work });
    expect(registry.addManifest(approved.hash, approved.json)).toBe(true);
    const unapproved = [];
    for (let i = 0; i < 48; i++) {
      const m = await tinyTask(`unapproved-${i}`);
      unapproved.push(m);
      expect(registry.addManifest(m.hash, m.json)).toBe(true);
    }
    // What the registry remembers having received, approved or not.
    const remembered = [approved, ...unapproved].filter((m) => registry.has(m.hash)).length;
    expect(remembered).toBeLessThanOrEqual(1 + 32);
    expect(registry.has(approved.hash)).toBe(true);
    expect(registry.held.manifests).toBe(1);
    expect(registry.held.unapprovedHashes).toBeLessThanOrEqual(32);
    // A repeat of a remembered unapproved manifest is not new.
    const last = unapproved.at(-1)!;
    expect(registry.addManifest(last.hash, last.json)).toBe(false);
    // The first unapproved hash is forgotten, yet its round is refused as not approved (the policy's reason).
    const first = unapproved[0]!;
    const start = { type: 'round/start' as const, taskHash: first.hash, round: 1, attempt: 1, phase: 'train' as const, cohort: ['alpha'], config: {}, weights: new Float32Array(2) };
    const reply = await registry.runnerFor(first.hash).handle(start);
    expect(reply).toMatchObject({ type: 'round/refuse', error: { code: 'POLICY_REFUSED', message: expect.stringMatching(/not in this site's approved task hashes/) } });
    // A manifest that does not hash to its hash is still refused.
    let thrown: unknown;
    try {
      registry.addManifest('0'.repeat(64), first.json);
    } catch (error) {
      thrown = error;
    }
    expect(isCohortError(thrown, 'TASK_INVALID')).toBe(true);
  });
});
