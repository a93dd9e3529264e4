import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { initBackend, mlp } from '@cohortfl/ml';
import { buildManifest, parseManifest } from './manifest.js';
import { defineTask, type TaskDefinition } from './define-task.js';

const definition = (): TaskDefinition => ({
  name: 'toy-risk',
  version: '1.0.0',
  model: ({ inputDim }) => mlp({ inputDim, hidden: [4] }),
  schema: {
    label: { name: 'y' },
    clinical: [
      { name: 'age', type: 'number', unit: 'years', range: [18, 90] },
      { name: 'sex', type: 'category', values: ['M', 'F'] },
    ],
    genomic: { variants: ['rs1', 'rs2'] },
    subgroups: ['sex'],
    consent: 'consent',
  },
  training: { epochs: 1, batchSize: 16, optimizer: 'adam', learningRate: 0.01 },
  strategy: { name: 'fedavg' },
  rounds: 3,
  minSites: 2,
});

beforeAll(async () => {
  await initBackend();
});

describe('buildManifest', () => {
  it('hashes the same task the same, however many models were built before', () => {
    const a = buildManifest(defineTask(definition()));
    for (let i = 0; i < 3; i++) mlp({ inputDim: 3, hidden: [2] }); // moves tfjs's layer-name counters
    const b = buildManifest(defineTask(definition()));
    expect(b.hash).toBe(a.hash);
    expect(b.json).toBe(a.json);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.json).not.toMatch(/dense_Dense\d/);
  });

  it('hashes the same in a separate Node process (built package)', () => {
    const sdk = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const script = `
      const { defineTask, buildManifest, mlp, initBackend } = await import(${JSON.stringify(sdk)});
      await initBackend();
      for (let i = 0; i < 5; i++) mlp({ inputDim: 2, hidden: [] });
      const d = ${JSON.stringify({ ...definition(), model: undefined })};
      d.model = ({ inputDim }) => mlp({ inputDim, hidden: [4] });
      process.stdout.write(buildManifest(defineTask(d)).hash);`;
    const other = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, COHORTFL_QUIET: '1' } });
    expect(other).toBe(buildManifest(defineTask(definition())).hash);
  });

  it('changes with any change to the task', () => {
    const base = buildManifest(defineTask(definition())).hash;
    const variants: Array<(d: TaskDefinition) => void> = [
      (d) => (d.version = '1.0.1'),
      (d) => (d.training.learningRate = 0.02),
      (d) => (d.rounds = 4),
      (d) => (d.schema.genomic = { variants: ['rs1', 'rs3'] }),
      (d) => (d.model = ({ inputDim }) => mlp({ inputDim, hidden: [5] })),
      (d) => (d.strategy = { name: 'fedadam' }),
      (d) => (d.schema.consent = 'research_consent'),
    ];
    const hashes = variants.map((change) => {
      const d = definition();
      change(d);
      return buildManifest(defineTask(d)).hash;
    });
    expect(new Set([base, ...hashes]).size).toBe(variants.length + 1);
  });

  it('round-trips through JSON and detects a manifest that does not match its hash', () => {
    const built = buildManifest(defineTask(definition()));
    expect(parseManifest(built.json, built.hash).hash).toBe(built.hash);
    const tampered = built.json.replace('"rounds":3', '"rounds":30');
    expect(() => parseManifest(tampered, built.hash)).toThrow(/not the expected/);
    expect(() => parseManifest('{not json')).toThrow(/not valid JSON/);
    expect(() => parseManifest('{"format":"other"}')).toThrow(/format/);
  });
});

describe('defineTask', () => {
  it('refuses a model whose input width differs from the schema encoding', () => {
    expect(() => defineTask({ ...definition(), model: mlp({ inputDim: 3, hidden: [] }) })).toThrow(/takes 3 inputs but the schema encodes 5 features/);
  });

  it('refuses bad names, training settings, run settings and strategies', () => {
    const bad: Array<[Partial<TaskDefinition>, RegExp]> = [
      [{ name: 'Bad Name!' }, /task name/],
      [{ version: '' }, /version/],
      [{ training: { epochs: 0, batchSize: 16, optimizer: 'adam', learningRate: 0.01 } }, /epochs/],
      [{ training: { epochs: 1, batchSize: 16, optimizer: 'adam', learningRate: -1 } }, /learningRate/],
      [{ training: { epochs: 1, batchSize: 16, optimizer: 'lbfgs' as 'adam', learningRate: 0.1 } }, /optimizer/],
      [{ rounds: 0 }, /rounds/],
      [{ minSites: 0 }, /minSites/],
      [{ fractionFit: 1.5 }, /fractionFit/],
      [{ strategy: { name: 'fedmagic' } as never }, /fedmagic|strategy/i],
    ];
    for (const [override, message] of bad) {
      expect(() => defineTask({ ...definition(), ...override }), String(message)).toThrow(message);
    }
  });
});
