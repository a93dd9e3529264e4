// Local training speed: node packages/ml/scripts/bench-train.mjs [--runs=N] [--epochs=E] [--only=narrow|genomic]
// (or pnpm bench train; build first: pnpm --filter @cohortfl/ml build).
//
// For each model and batch size, trainLocal (adam, E = 3 epochs, as the cad-risk task trains, so
// per-call work such as checking every feature value is finite is shared by 3 epochs of steps)
// on the fused path (the default for
// Dense stacks) and on the tape path (layers' apply, a gradient tape and tfjs's per-variable
// optimizer: the implementation before the fused steps), alternating, medians of N runs. Printed
// per path: time per step, CPU time per step (process.cpuUsage, all threads), achieved GFLOP/s
// (the model's forward and backward matMul FLOPs divided by the time), and the same rate for
// tfjs's own matMul: the step's matrix products (forward X·W, backward Xᵀ·G and G·Wᵀ) at the
// same shapes, each as a plain product of operands already laid out for it (tfjs-wasm runs a
// product with a transpose flag about 10× slower, so flagged products would flatter the ratio),
// run alone back to back in the same process. The ratio achieved / matMul rate is how much of
// the backend's matMul speed a training step keeps; it is printed from wall times and from CPU
// times (on a loaded shared machine the CPU-time figure is the steadier one).
import { initBackend, initialWeights, mlp, modelToTopology, tf } from '../dist/index.js';
import { trainLocalOn } from '../dist/train-local.js';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const runs = Number(args.runs ?? 3);
const epochs = Number(args.epochs ?? 3);
const only = args.only;
const backend = await initBackend();

// Seeded data (mulberry32) so runs are comparable.
function dataset(n, k) {
  let s = 12345;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const x = new Float32Array(n * k);
  for (let i = 0; i < x.length; i++) x[i] = rand() * 2 - 1;
  const y = Float32Array.from({ length: n }, (_, i) => (x[i * k] + x[i * k + 1] > 0 ? 1 : 0));
  return { x, y, n, featureCount: k };
}

/** The products of one training step on `rows` records: [m, k, n] for a (m×k)·(k×n) product. */
function stepProducts(widths, rows) {
  const out = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    const [i, o] = [widths[l], widths[l + 1]];
    out.push([rows, i, o]); // forward A·W
    out.push([i, rows, o]); // kernel gradient Aᵀ·G
    if (l > 0) out.push([rows, o, i]); // gradient for the layer below G·Wᵀ
  }
  return out;
}

const flopsOf = (products) => products.reduce((s, [m, k, n]) => s + 2 * m * k * n, 0);

/** Wall and CPU seconds per step of the step's products alone (tf.matMul, operands already on the backend). */
function matMulSecondsPerStep(products) {
  const operands = products.map(([m, k, n]) => [tf.randomUniform([m, k]), tf.randomUniform([k, n])]);
  const once = () => {
    for (const [a, b] of operands) tf.matMul(a, b).dispose();
  };
  once();
  const walls = [];
  const cpus = [];
  for (let r = 0; r < runs; r++) {
    let reps = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    do {
      once();
      reps++;
    } while (performance.now() - t0 < 300);
    walls.push((performance.now() - t0) / 1000 / reps);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1e6 / reps);
  }
  tf.dispose(operands.flatMap(([a, b]) => [a, b]));
  return { wall: median(walls), cpu: median(cpus) };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timeEpoch(path, input, steps) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await trainLocalOn(input, path);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  return { step: wall / steps, cpu: (cpu.user + cpu.system) / 1e6 / steps };
}

const cases = [];
if (only !== 'genomic') {
  cases.push({ n: 2000, k: 250, hidden: [], batch: 64 });
  cases.push({ n: 2000, k: 250, hidden: [32], batch: 64 });
}
if (only !== 'narrow') {
  for (const k of [10000, 20000]) for (const batch of [64, 256]) cases.push({ n: 2048, k, hidden: [32], batch });
}

console.log(`backend ${backend}; trainLocal, adam, ${epochs} epoch(s), medians of ${runs} alternating runs; ms and CPU ms per step`);
console.log('| data | model | batch | path | ms/step | CPU ms/step | GFLOP/s (wall) | matMul GFLOP/s (wall) | of matMul (wall) | of matMul (CPU) | speed-up (wall) | speed-up (CPU) |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const { n, k, hidden, batch } of cases) {
  const data = dataset(n, k);
  const model = mlp({ inputDim: k, hidden });
  const topology = modelToTopology(model);
  model.dispose();
  const weights = await initialWeights(topology, 1);
  const training = { epochs, batchSize: batch, optimizer: 'adam', learningRate: 0.01 };
  const steps = epochs * Math.ceil(n / batch);
  const widths = [k, ...hidden, 1];
  // Model FLOPs of the epoch: full batches plus the last, shorter one.
  const full = Math.floor(n / batch);
  const rest = n - full * batch;
  const callFlops = epochs * (full * flopsOf(stepProducts(widths, batch)) + (rest > 0 ? flopsOf(stepProducts(widths, rest)) : 0));
  const matMul = matMulSecondsPerStep(stepProducts(widths, batch));
  const stepFlops = flopsOf(stepProducts(widths, batch));
  const results = { tape: [], fused: [] };
  for (const path of ['tape', 'fused']) await trainLocalOn({ topology, weights, data, training, seed: 0 }, path); // warm-up
  for (let r = 0; r < runs; r++) {
    for (const path of r % 2 === 0 ? ['tape', 'fused'] : ['fused', 'tape']) {
      results[path].push(await timeEpoch(path, { topology, weights, data, training, seed: r }, steps));
    }
  }
  const name = hidden.length === 0 ? 'logistic' : `mlp [${hidden.join(', ')}]`;
  const tapeStep = median(results.tape.map((x) => x.step));
  const tapeCpu = median(results.tape.map((x) => x.cpu));
  const pct = (x) => `${(100 * x).toFixed(0)} %`;
  for (const path of ['tape', 'fused']) {
    const step = median(results[path].map((x) => x.step));
    const cpu = median(results[path].map((x) => x.cpu));
    const rate = callFlops / (step * steps);
    const cpuRate = callFlops / (cpu * steps);
    const fused = path === 'fused';
    console.log(
      `| ${n} × ${k} | ${name} | ${batch} | ${path} | ${(step * 1000).toFixed(3)} | ${(cpu * 1000).toFixed(3)} | ` +
        `${(rate / 1e9).toFixed(2)} | ${(stepFlops / matMul.wall / 1e9).toFixed(2)} | ${pct(rate / (stepFlops / matMul.wall))} | ` +
        `${pct(cpuRate / (stepFlops / matMul.cpu))} | ${fused ? `${(tapeStep / step).toFixed(1)}×` : ''} | ${fused ? `${(tapeCpu / cpu).toFixed(1)}×` : ''} |`,
    );
  }
}
