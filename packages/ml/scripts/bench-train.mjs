// Throughput of trainLocal: node packages/ml/scripts/bench-train.mjs [rows] [features]
// (build first: pnpm --filter @cohortfl/ml build). Prints samples per second per model.
import { initBackend, initialWeights, mlp, modelToTopology, trainLocal } from '../dist/index.js';

const n = Number(process.argv[2] ?? 2000);
const k = Number(process.argv[3] ?? 250);
const backend = await initBackend();

// Seeded data (mulberry32) so runs are comparable.
let s = 12345;
const rand = () => {
  s = (s + 0x6d2b79f5) >>> 0;
  let t = Math.imul(s ^ (s >>> 15), s | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const x = Float32Array.from({ length: n * k }, () => rand() * 2 - 1);
const y = Float32Array.from({ length: n }, (_, i) => (x[i * k] + x[i * k + 1] > 0 ? 1 : 0));
const data = { x, y, n, featureCount: k };
const training = { epochs: 1, batchSize: 64, optimizer: 'adam', learningRate: 0.01 };

for (const hidden of [[], [32]]) {
  const model = mlp({ inputDim: k, hidden });
  const topology = modelToTopology(model);
  model.dispose();
  const weights = await initialWeights(topology, 1);
  await trainLocal({ topology, weights, data, training, seed: 0 }); // warm-up: builds and caches the model
  const rates = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    await trainLocal({ topology, weights, data, training, seed: r });
    rates.push(n / ((performance.now() - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  const name = hidden.length === 0 ? 'logistic regression' : `mlp hidden [${hidden.join(', ')}]`;
  console.log(`${backend} ${n}x${k} ${name}, 1 epoch batch 64: median ${Math.round(rates[2])} samples/s (min ${Math.round(rates[0])}, max ${Math.round(rates[4])})`);
}
