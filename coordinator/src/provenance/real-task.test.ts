import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { initBackend, mlp } from '@cohortfl/ml';
import { buildManifest, defineTask } from '@cohortfl/sdk';
import { describe, expect, it } from 'vitest';
import { roundInput, SITES, keyFor, tempDir } from '../store/fixtures.test-suite.js';
import { openStore } from '../store/index.js';
import { buildProvenance } from './build.js';
import { COORDINATOR, reparse } from './fixtures.test-suite.js';
import { verifyProvenance } from './verify.js';

const schema = JSON.parse(readFileSync(new URL('../../schemas/provenance.schema.json', import.meta.url), 'utf8')) as object;

describe('provenance of a task made by defineTask', () => {
  it('takes the resolved parameters from the manifest, validates and verifies', async () => {
    await initBackend(undefined, { quiet: true });
    const built = buildManifest(
      defineTask({
        name: 'tiny',
        version: '1.0.0',
        model: ({ inputDim }) => mlp({ inputDim, hidden: [] }),
        schema: { label: { name: 'y' }, clinical: [{ name: 'a', type: 'number' }, { name: 'b', type: 'number' }] },
        training: { epochs: 1, batchSize: 8, optimizer: 'sgd', learningRate: 0.1 },
        strategy: { name: 'fedavg' },
        rounds: 2,
        minSites: 2,
        secureAggregation: false,
        privacy: { unit: 'patient', targetEpsilon: 3 },
      }),
    );
    const dir = tempDir();
    const store = openStore(dir.path);
    try {
      SITES.forEach((name, i) => store.addSite({ name, publicKey: keyFor(i + 1), at: 1 }));
      store.publishTask({ hash: built.hash, name: 'tiny', version: '1.0.0', manifestJson: built.json, at: 2 });
      const run = store.createRun({ taskHash: built.hash, rounds: 2, config: {}, at: 3 });
      store.startAttempt({ runId: run.id, round: 1, attempt: 1, at: 10_000 });
      store.saveRound(roundInput(run.id, 1, 1, { weights: new Float32Array(3) }));
      const record = reparse(buildProvenance(store, COORDINATOR, run.id, { at: 4 }));
      expect(record.task).toMatchObject({
        strategy: { name: 'fedavg', params: {} },
        minSites: 2,
        fractionFit: 1,
        secureAggregation: null,
        privacy: { unit: 'patient', clip: 1, delta: 1e-5, noiseMultiplier: null, targetEpsilon: 3 },
      });
      const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
      expect(validate(record), JSON.stringify(validate.errors)).toBe(true);
      expect(verifyProvenance(record, COORDINATOR.publicKey).ok).toBe(true);
    } finally {
      store.close();
      dir.cleanup();
    }
  });
});
