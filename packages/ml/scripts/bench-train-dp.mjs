// Throughput of trainLocalDp next to trainLocal: node packages/ml/scripts/bench-train-dp.mjs [rows] [features]
// (build first: pnpm --filter @cohortfl/ml build). One epoch-equivalent each: batch 64 for trainLocal,
// q = 64/n and ceil(n/64) steps for DP-SGD (σ = 1, C = 1). Samples/s counts records processed
// (n for trainLocal, q·n·steps expected for DP). The noise here is Math.random Box–Muller, not a
// secure sampler, so the time of @cohortfl/privacy's sampler is not included.
import { initBackend, initialWeights, mlp, modelToTopology, tf, trainLocal, trainLocalDp } from '../dist/index.js';

const n = Number(process.argv[2] ?? 2000);
const k = Number(process.argv[3] ?? 213);
const backend = await initBackend();

let s = 12345; // mulberry32, so runs are comparable
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
const dp = { l2Clip: 1, noiseMultiplier: 1, samplingRate: 64 / n, steps: Math.ceil(n / 64) };
const noise = (count, sigma) =>
  Float64Array.from({ length: count }, () => sigma * Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random()));

function topologyOf(model) {
  const t = modelToTopology(model);
  model.dispose();
  return t;
}

/** Dense(1) then a separate sigmoid Activation layer: logistic regression that takes the per-record loop. */
function loopLogistic() {
  return tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [k] }), tf.layers.activation({ activation: 'sigmoid' })] });
}

async function rate(run, records) {
  await run(); // warm-up: builds and caches the model
  const rates = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    await run();
    rates.push(records / ((performance.now() - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  return `median ${Math.round(rates[2])} samples/s (min ${Math.round(rates[0])}, max ${Math.round(rates[4])})`;
}

const dpRecords = dp.samplingRate * n * dp.steps;
for (const [name, topology, plain] of [
  ['logistic regression', topologyOf(mlp({ inputDim: k, hidden: [] })), true],
  ['mlp hidden [32]', topologyOf(mlp({ inputDim: k, hidden: [32] })), true],
  ['logistic regression, per-record loop', topologyOf(loopLogistic()), false],
]) {
  const weights = await initialWeights(topology, 1);
  if (plain) console.log(`${backend} ${n}x${k} ${name}, trainLocal: ${await rate(() => trainLocal({ topology, weights, data, training, seed: 0 }), n)}`);
  console.log(`${backend} ${n}x${k} ${name}, trainLocalDp: ${await rate(() => trainLocalDp({ topology, weights, data, training, seed: 0, dp, noise }), dpRecords)}`);
}
