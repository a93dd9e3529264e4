#!/usr/bin/env node
// Benchmark of @cohortfl/secagg: whole rounds simulated in one process (sans IO),
// for n ∈ {5, 20, 100} sites and P ∈ {100k, 1M} parameters, with 0% and 10% of
// sites dropping after sharing keys (before their masked input: the costly case
// for the server, which must then rebuild their mask keys and remove their
// pairwise masks). Plus ChaCha20 mask-expansion throughput; one site's critical-path
// CPU time (clip + quantize + discrete Gaussian noise + masks) at N = 10, P = 1M with
// site-level DP, today's code against the previous implementation; and one round of
// a large cohort (1,000 sites, P = 100k, k-regular graph) in a child process, with its
// wall time, CPU time and peak memory.
//
//   node packages/secagg/scripts/bench-secagg.mjs [--quick] [--json] [--sites=1000] [--dropout=0.05]
//
// --quick: only n ∈ {5, 20}, P = 100k, the critical path at P = 100k, no large cohort.
// --sites / --dropout: size of the large cohort and the fraction of it that drops
// after sharing keys (default 1000 and 0). Needs the built packages: pnpm build
import { createCipheriv, createHash, randomBytes, randomFillSync } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SecAggClient, SecAggServer, SIZES, applyMask, applyMasks, clipL2Into, createQuantizer, defaultDegree, expandMask } from '../dist/index.js';
import { createDiscreteGaussianSampler, createReferenceDiscreteGaussianSampler } from '../../privacy/dist/index.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const json = args.includes('--json');
const flag = (name, fallback) => {
  const hit = args.find((a) => a.startsWith(`--${name}=`));
  return hit === undefined ? fallback : Number(hit.slice(name.length + 3));
};
const largeSites = flag('sites', 1000);
const largeDropout = flag('dropout', 0);
if (!(Number.isInteger(largeSites) && largeSites >= 3) || !(largeDropout >= 0 && largeDropout < 0.5)) {
  console.error('--sites must be an integer ≥ 3 and --dropout in [0, 0.5)');
  process.exit(2);
}
const log = (...parts) => {
  if (!json) console.log(...parts);
};

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A site's float update, regenerated from its seed so n × P floats never sit in memory at once. */
function updateOf(seed, length) {
  const rand = mulberry32(seed);
  const out = new Float32Array(length);
  for (let j = 0; j < length; j++) out[j] = (rand() - 0.5) * 0.2;
  return out;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const time = (fn) => {
  const start = performance.now();
  const value = fn();
  return [value, performance.now() - start];
};

/** GB/s of expandMask (keystream + adding it into a vector) and of the bare OpenSSL keystream. */
function throughput() {
  const key = new Uint8Array(randomBytes(32));
  const words = 4_000_000; // 16 MB per expansion
  const runs = 5;
  const rate = (fn) => {
    for (let i = 0; i < 3; i++) fn(); // let the JIT settle on the add loop
    const start = performance.now();
    for (let i = 0; i < runs; i++) fn();
    return (runs * words * 4) / ((performance.now() - start) / 1000) / 1e9;
  };
  const zeros = Buffer.alloc(64 * 1024);
  const keystream = () => {
    const cipher = createCipheriv('chacha20', key, Buffer.alloc(16));
    for (let done = 0; done < words * 4; done += zeros.length) cipher.update(zeros);
  };
  const target = new Uint32Array(words);
  return {
    bytesPerRun: words * 4,
    gbPerSecond: rate(() => applyMask(target, key, 1)),
    allocatingGbPerSecond: rate(() => expandMask(key, words)),
    keystreamGbPerSecond: rate(keystream),
  };
}

/** The plaintext aggregation step: plain += weight · update (float64). */
function addWeighted(plain, update, weight) {
  for (let j = 0; j < plain.length; j++) plain[j] += weight * update[j];
}

function runCase({ n, P, dropRate }) {
  const sparse = n > 20;
  const graph = sparse ? { kind: 'k-regular' } : { kind: 'full' };
  const degree = sparse ? defaultDegree(n) : n - 1;
  const threshold = Math.floor((degree + 1) / 2) + 1;
  const config = { threshold, graph };
  const context = { taskHash: createHash('sha256').update('bench-secagg').digest('hex'), round: 1, attempt: 0 };
  const sites = Array.from({ length: n }, (_, i) => `site-${String(i).padStart(3, '0')}`);
  const rand = mulberry32(n * 1000 + P + Math.round(dropRate * 100));
  const dropCount = Math.round(dropRate * n);
  const dropped = new Set([...sites].sort(() => rand() - 0.5).slice(0, dropCount));
  const quantizer = createQuantizer({ clip: 1, maxSites: n, weightScale: 1000 });
  const vectorLength = P + 1;
  const server = new SecAggServer({ context, cohort: sites, config, vectorLength });
  const clients = sites.map((site) => new SecAggClient({ site, context }));
  const keyMs = new Map(sites.map((s) => [s, 0]));
  const maskMs = new Map();
  const quantMs = new Map();
  const bytes = new Map(sites.map((s) => [s, 0]));
  let serverMs = 0;
  const onServer = (fn) => {
    const [value, ms] = time(fn);
    serverMs += ms;
    return value;
  };

  for (const client of clients) {
    const [keys, ms] = time(() => client.advertiseKeys());
    keyMs.set(client.site, ms);
    bytes.set(client.site, 2 * SIZES.KEY);
    onServer(() => server.receiveAdvertisement(client.site, keys));
  }
  const roster = onServer(() => server.closeAdvertisements());
  for (const client of clients) {
    const [shares, ms] = time(() => client.shareKeys(roster, config));
    keyMs.set(client.site, keyMs.get(client.site) + ms);
    bytes.set(client.site, bytes.get(client.site) + shares.reduce((acc, s) => acc + s.ciphertext.length, 0));
    onServer(() => server.receiveShares(client.site, shares));
  }
  onServer(() => server.closeShares());
  const alive = clients.filter((c) => !dropped.has(c.site));
  for (const client of alive) {
    const seed = sites.indexOf(client.site) + 1;
    const update = updateOf(seed, P);
    const [input, qms] = time(() => quantizer.quantize(update, 1 + (seed % 1000)));
    quantMs.set(client.site, qms);
    const received = onServer(() => server.sharesFor(client.site));
    const [masked, ms] = time(() => client.maskInput(received, input));
    maskMs.set(client.site, ms);
    bytes.set(client.site, bytes.get(client.site) + masked.length * 4);
    onServer(() => server.receiveMasked(client.site, masked));
  }
  const request = onServer(() => server.closeMasked());
  for (const client of alive) {
    const [, ms] = time(() => client.attest(request));
    keyMs.set(client.site, keyMs.get(client.site) + ms);
    onServer(() => server.receiveAttestation(client.site));
  }
  const signers = onServer(() => server.closeAttestations());
  for (const client of alive) {
    const [reveals, ms] = time(() => client.unmask(request, signers));
    keyMs.set(client.site, keyMs.get(client.site) + ms);
    bytes.set(client.site, bytes.get(client.site) + reveals.length * SIZES.REVEAL);
    onServer(() => server.receiveUnmask(client.site, reveals));
  }
  const [sum, finalizeMs] = time(() => server.finalize());
  serverMs += finalizeMs;
  const result = quantizer.dequantizeSum(sum, alive.length);

  // Plaintext baseline: the coordinator summing the same float updates, weighted, in float64.
  let baselineMs = 0;
  const plain = new Float64Array(P);
  let total = 0;
  for (const client of alive) {
    const seed = sites.indexOf(client.site) + 1;
    const update = updateOf(seed, P);
    const weight = 1 + (seed % 1000);
    const start = performance.now();
    addWeighted(plain, update, weight);
    total += weight;
    baselineMs += performance.now() - start;
  }
  let maxError = 0;
  for (let j = 0; j < P; j++) maxError = Math.max(maxError, Math.abs(result.weightedMeanUpdate[j] - plain[j] / total));

  const aliveSites = alive.map((c) => c.site);
  const clientMs = aliveSites.map((s) => keyMs.get(s) + maskMs.get(s));
  const siteBytes = median(aliveSites.map((s) => bytes.get(s)));
  return {
    n,
    P,
    graph: sparse ? `k-regular k=${degree}` : 'full',
    threshold,
    dropout: dropRate,
    droppedSites: dropCount,
    clientMedianMs: median(clientMs),
    clientMaskMedianMs: median(aliveSites.map((s) => maskMs.get(s))),
    clientKeysMedianMs: median(aliveSites.map((s) => keyMs.get(s))),
    quantizeMedianMs: median(aliveSites.map((s) => quantMs.get(s))),
    serverFinalizeMs: finalizeMs,
    serverTotalMs: serverMs,
    bytesPerSite: siteBytes,
    bytesOver4P: siteBytes / (4 * P),
    plaintextSumMs: baselineMs,
    maxMeanError: maxError,
  };
}


const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
/** [value, CPU ms of this process] of fn(). */
const cpuTime = (fn) => {
  const start = cpuNow();
  const value = fn();
  return [value, cpuNow() - start];
};

// ---------------------------------------------------------------------------------
// One site's critical path with site-level DP: clip → quantize → + noise → masks.

/** σ² of each site's discrete Gaussian noise, in grid units², at the site-DP scale of a 1M-parameter round. */
const SITE_DP_SIGMA2 = 2.7e11;

/** The previous clip, quantize and stochastic rounding (before batching), kept here as the baseline. */
const previous = {
  clipL2(update, maxNorm) {
    let largest = 0;
    for (let i = 0; i < update.length; i++) {
      const value = update[i];
      if (!Number.isFinite(value)) throw new Error('not finite');
      largest = Math.max(largest, Math.abs(value));
    }
    let sumSquares = 0;
    if (largest > 0) for (let i = 0; i < update.length; i++) sumSquares += (update[i] / largest) ** 2;
    const norm = largest * Math.sqrt(sumSquares);
    const factor = norm > maxNorm ? maxNorm / norm : 1;
    const clipped = new Float64Array(update.length);
    for (let i = 0; i < update.length; i++) clipped[i] = update[i] * factor;
    return clipped;
  },
  uniformSource() {
    const words = new Uint32Array(8192 * 2);
    let position = words.length;
    return () => {
      if (position === words.length) {
        randomFillSync(words);
        position = 0;
      }
      const high = words[position++] >>> 5;
      const low = words[position++] >>> 6;
      return (high * 67_108_864 + low) / 9_007_199_254_740_992;
    };
  },
  quantize(update, numExamples, { clip, scale, weightScale, perSiteBound }) {
    const factor = (numExamples / weightScale) * scale;
    const uniform = previous.uniformSource();
    const out = new Uint32Array(update.length + 1);
    for (let j = 0; j < update.length; j++) {
      const value = update[j];
      if (!Number.isFinite(value)) throw new Error('not finite');
      const x = Math.min(clip, Math.max(-clip, value)) * factor;
      const floor = Math.floor(x);
      const q = uniform() < x - floor ? floor + 1 : floor;
      out[j] = Math.min(perSiteBound, Math.max(-perSiteBound, q));
    }
    out[update.length] = numExamples;
    return out;
  },
};

/**
 * CPU ms of each step of one site's critical path at N sites (full graph: one self
 * mask and N − 1 pairwise masks), P parameters, with site-level DP; `pairs`
 * alternating runs of the previous and the current code, medians.
 */
function criticalPath({ N, P, pairs }) {
  const update = updateOf(7, P);
  const settings = { clip: 1, maxSites: N, weightScale: 1 };
  const quantizer = createQuantizer(settings);
  const old = { clip: 1, scale: quantizer.scale, weightScale: 1, perSiteBound: Math.floor(0x7fff_ffff / N) };
  const keys = Array.from({ length: N }, () => new Uint8Array(randomBytes(32)));
  const signs = keys.map((_, i) => (i % 2 === 0 ? 1 : -1));
  const before = () => {
    const t = {};
    const [withLoss, clipMs] = cpuTime(() => {
      const clipped = previous.clipL2(update, 1);
      const out = new Float32Array(P + 1);
      out.set(clipped);
      return out;
    });
    const [vector, quantizeMs] = cpuTime(() => previous.quantize(withLoss, 1, old));
    const [, noiseMs] = cpuTime(() => {
      const noise = createReferenceDiscreteGaussianSampler(SITE_DP_SIGMA2).sample(P);
      for (let i = 0; i < P; i++) vector[i] = (vector[i] + noise[i]) >>> 0;
    });
    const [, maskMs] = cpuTime(() => {
      const masked = Uint32Array.from(vector);
      keys.forEach((key, i) => applyMask(masked, key, signs[i]));
      return masked;
    });
    Object.assign(t, { clipMs, quantizeMs, noiseMs, maskMs });
    return t;
  };
  const after = (predrawn) => {
    const [withLoss, clipMs] = cpuTime(() => {
      const out = new Float32Array(P + 1);
      clipL2Into(update, 1, out.subarray(0, P));
      return out;
    });
    const [vector, quantizeMs] = cpuTime(() => quantizer.quantize(withLoss, 1));
    const [, noiseMs] = cpuTime(() => {
      const noise = predrawn ?? createDiscreteGaussianSampler(SITE_DP_SIGMA2).sample(P);
      const words = new Int32Array(vector.buffer, 0, P);
      for (let i = 0; i < P; i++) words[i] = (words[i] + noise[i]) | 0;
      noise.fill(0);
    });
    const [, maskMs] = cpuTime(() => {
      const masked = vector.slice();
      applyMasks(masked, keys.map((key, i) => ({ key, sign: signs[i] })));
      return masked;
    });
    return { clipMs, quantizeMs, noiseMs, maskMs };
  };
  const runs = { before: [], after: [], preDrawn: [] };
  before();
  after();
  for (let i = 0; i < pairs; i++) {
    runs.before.push(before());
    runs.after.push(after());
    const noise = createDiscreteGaussianSampler(SITE_DP_SIGMA2).sample(P); // drawn while the site waits
    runs.preDrawn.push(after(noise));
  }
  const summary = (list) => {
    const steps = ['clipMs', 'quantizeMs', 'noiseMs', 'maskMs'];
    const out = Object.fromEntries(steps.map((k) => [k, median(list.map((r) => r[k]))]));
    out.totalMs = median(list.map((r) => steps.reduce((acc, k) => acc + r[k], 0)));
    return out;
  };
  return { N, P, sigma2: SITE_DP_SIGMA2, pairs, before: summary(runs.before), after: summary(runs.after), afterPreDrawn: summary(runs.preDrawn) };
}

// ---------------------------------------------------------------------------------
// A large cohort: one whole secure round of n sites in this process.

/**
 * One secure round of n sites (k-regular graph, k = 2·ceil(log2 n)), P parameters,
 * `dropRate` of the sites leaving after sharing keys. Wall and CPU seconds per phase,
 * peak RSS (the process's own maximum) and the largest V8 heap seen between steps.
 */
function runLarge({ n, P, dropRate }) {
  const wallStart = performance.now();
  const cpuStart = cpuNow();
  let heapPeak = 0;
  const sampleHeap = () => {
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  };
  const phases = [];
  let mark = { wall: performance.now(), cpu: cpuNow() };
  const phase = (name) => {
    const now = { wall: performance.now(), cpu: cpuNow() };
    phases.push({ name, wallS: (now.wall - mark.wall) / 1000, cpuS: (now.cpu - mark.cpu) / 1000 });
    mark = now;
    sampleHeap();
  };
  const degree = defaultDegree(n);
  const threshold = Math.floor((degree + 1) / 2) + 1;
  const config = { threshold, graph: { kind: 'k-regular' } };
  const context = { taskHash: createHash('sha256').update('bench-secagg-large').digest('hex'), round: 1, attempt: 0 };
  const sites = Array.from({ length: n }, (_, i) => `site-${String(i).padStart(5, '0')}`);
  const rand = mulberry32(n + Math.round(dropRate * 1000));
  const dropped = new Set([...sites].sort(() => rand() - 0.5).slice(0, Math.round(dropRate * n)));
  const quantizer = createQuantizer({ clip: 1, maxSites: n, weightScale: 1000 });
  const server = new SecAggServer({ context, cohort: sites, config, vectorLength: P + 1 });
  const clients = sites.map((site) => new SecAggClient({ site, context }));
  for (const client of clients) server.receiveAdvertisement(client.site, client.advertiseKeys());
  const roster = server.closeAdvertisements();
  phase('keys');
  for (const [i, client] of clients.entries()) {
    server.receiveShares(client.site, client.shareKeys(roster, config));
    if (i % 100 === 0) sampleHeap();
  }
  server.closeShares();
  phase('shares');
  const alive = clients.filter((c) => !dropped.has(c.site));
  for (const [i, client] of alive.entries()) {
    const seed = sites.indexOf(client.site) + 1;
    const input = quantizer.quantize(updateOf(seed, P), 1 + (seed % 1000));
    server.receiveMasked(client.site, client.maskInput(server.sharesFor(client.site), input));
    if (i % 100 === 0) sampleHeap();
  }
  const request = server.closeMasked();
  phase('masked');
  for (const client of alive) {
    client.attest(request);
    server.receiveAttestation(client.site);
  }
  const signers = server.closeAttestations();
  phase('attest');
  for (const client of alive) server.receiveUnmask(client.site, client.unmask(request, signers));
  const sum = server.finalize();
  phase('unmask');
  const result = quantizer.dequantizeSum(sum, alive.length);
  const wallS = (performance.now() - wallStart) / 1000;
  const cpuS = (cpuNow() - cpuStart) / 1000;
  // Check the result against the plaintext weighted mean (outside the timings).
  const plain = new Float64Array(P);
  let total = 0;
  for (const client of alive) {
    const seed = sites.indexOf(client.site) + 1;
    const update = updateOf(seed, P);
    const weight = 1 + (seed % 1000);
    for (let j = 0; j < P; j++) plain[j] += weight * Math.min(1, Math.max(-1, update[j]));
    total += weight;
  }
  let maxError = 0;
  for (let j = 0; j < P; j++) maxError = Math.max(maxError, Math.abs(result.weightedMeanUpdate[j] - plain[j] / total));
  return {
    n,
    P,
    degree,
    threshold,
    dropout: dropRate,
    droppedSites: dropped.size,
    wallS,
    cpuS,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    peakHeapBytes: heapPeak,
    phases,
    maxMeanError: maxError,
  };
}

if (args.includes('--large-only')) {
  console.log(JSON.stringify(runLarge({ n: largeSites, P: 100_000, dropRate: largeDropout })));
  process.exit(0);
}

const chacha = throughput();
log(`ChaCha20 mask expansion (applyMask: keystream added into a vector in place, 16 MB × 5): ${chacha.gbPerSecond.toFixed(2)} GB/s`);
log(`  expandMask (same, into a fresh zeroed vector): ${chacha.allocatingGbPerSecond.toFixed(2)} GB/s`);
log(`  keystream alone (node:crypto / OpenSSL, 64 KiB chunks, no add): ${chacha.keystreamGbPerSecond.toFixed(2)} GB/s`);
addWeighted(new Float64Array(1000), new Float32Array(1000), 1); // warm the baseline loop up

const ns = quick ? [5, 20] : [5, 20, 100];
const Ps = quick ? [100_000] : [100_000, 1_000_000];
const rows = [];
for (const P of Ps) {
  for (const n of ns) {
    for (const dropRate of [0, 0.1]) {
      const row = runCase({ n, P, dropRate });
      rows.push(row);
      if (!json && process.stderr.isTTY) process.stderr.write(`  done n=${n} P=${P} dropout=${dropRate * 100}%\n`);
    }
  }
}

if (!json && process.stderr.isTTY) process.stderr.write('  site critical path…\n');
const critical = criticalPath({ N: 10, P: quick ? 100_000 : 1_000_000, pairs: 5 });
let large;
if (!quick) {
  if (!json && process.stderr.isTTY) process.stderr.write(`  ${largeSites} sites in one round (child process)…\n`);
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--large-only', `--sites=${largeSites}`, `--dropout=${largeDropout}`], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (child.status !== 0) {
    console.error(`the ${largeSites}-site round failed:\n${child.stderr}`);
    process.exit(1);
  }
  large = JSON.parse(child.stdout.trim().split('\n').pop());
}

if (json) {
  console.log(JSON.stringify({ chacha20: chacha, node: process.version, rows, criticalPath: critical, large }, null, 2));
} else {
  log('\nGraph: full for n ≤ 20, k-regular (circulant over a random order, k = 2·ceil(log2 n)) for n = 100.');
  log('Dropped sites leave after sharing keys, before their masked input. Threshold t = floor((k + 1) / 2) + 1.');
  log('client = per-site median of key work (advertise + shareKeys + unmask) + maskInput; quantize is separate.');
  log('bytes/site = keys + encrypted shares + masked vector + revealed shares, as sent on the wire.\n');
  const header = ['n', 'P', 'graph', 't', 'drop', 'client ms', '(mask ms)', 'quantize ms', 'server finalize ms', 'server total ms', 'bytes/site', '÷ 4P', 'plaintext sum ms'];
  const table = rows.map((r) => [
    r.n,
    r.P.toLocaleString('en-US'),
    r.graph,
    r.threshold,
    `${r.dropout * 100}% (${r.droppedSites})`,
    r.clientMedianMs.toFixed(1),
    r.clientMaskMedianMs.toFixed(1),
    r.quantizeMedianMs.toFixed(1),
    r.serverFinalizeMs.toFixed(1),
    r.serverTotalMs.toFixed(1),
    r.bytesPerSite.toLocaleString('en-US'),
    r.bytesOver4P.toFixed(4),
    r.plaintextSumMs.toFixed(1),
  ].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  log(line(header));
  for (const row of table) log(line(row));
  const worst = Math.max(...rows.map((r) => r.maxMeanError));
  log(`\nLargest |secure − plaintext| weighted-mean coordinate difference: ${worst.toExponential(2)} (quantization + float32 output).`);

  const c = critical;
  log(`\nOne site's critical path with site-level DP (N = ${c.N}: 1 self + ${c.N - 1} pairwise masks, P = ${c.P.toLocaleString('en-US')}, σ² = ${c.sigma2.toExponential(1)} grid units²):`);
  log(`CPU ms of this process, medians of ${c.pairs} alternating runs. "before" is the previous code (kept in this script / createReferenceDiscreteGaussianSampler).`);
  const cpHeader = ['', 'clip', 'quantize', 'noise', 'masks', 'total'];
  const cpRow = (name, r) => [name, r.clipMs, r.quantizeMs, r.noiseMs, r.maskMs, r.totalMs].map((v) => (typeof v === 'number' ? v.toFixed(1) : v));
  const cpRows = [cpRow('before', c.before), cpRow('after', c.after), cpRow('after, noise pre-drawn', c.afterPreDrawn)];
  const cpWidths = cpHeader.map((h, i) => Math.max(h.length, ...cpRows.map((r) => r[i].length)));
  const cpLine = (cells) => cells.map((cell, i) => (i === 0 ? cell.padEnd(cpWidths[i]) : cell.padStart(cpWidths[i]))).join('  ');
  log(cpLine(cpHeader));
  for (const r of cpRows) log(cpLine(r));
  log(`after / before: ${(c.after.totalMs / c.before.totalMs).toFixed(2)}× (${(c.afterPreDrawn.totalMs / c.before.totalMs).toFixed(2)}× with the noise pre-drawn); noise ${((c.after.noiseMs * 1e6) / c.P).toFixed(0)} ns/coordinate (before ${((c.before.noiseMs * 1e6) / c.P).toFixed(0)})`);
  if (large) {
    const mb = (bytes) => `${(bytes / 1e6).toFixed(0)} MB`;
    log(`\n${large.n.toLocaleString('en-US')} sites in one secure round (one process, real client and server code, k-regular k = ${large.degree}, t = ${large.threshold}, P = ${large.P.toLocaleString('en-US')}, ${large.dropout * 100}% dropped after sharing (${large.droppedSites})):`);
    log(`  wall ${large.wallS.toFixed(1)} s, CPU ${large.cpuS.toFixed(1)} s, peak RSS ${mb(large.peakRssBytes)}, peak V8 heap ${mb(large.peakHeapBytes)}`);
    log(`  per phase (wall / CPU s): ${large.phases.map((p) => `${p.name} ${p.wallS.toFixed(1)} / ${p.cpuS.toFixed(1)}`).join(', ')}`);
    log(`  largest |secure − plaintext| weighted-mean coordinate difference: ${large.maxMeanError.toExponential(2)}`);
  }
}
