#!/usr/bin/env node
// Benchmark of @cohortfl/secagg: whole rounds simulated in one process (sans IO),
// for n ∈ {5, 20, 100} sites and P ∈ {100k, 1M} parameters, with 0% and 10% of
// sites dropping after sharing keys (before their masked input: the costly case
// for the server, which must then rebuild their mask keys and remove their
// pairwise masks). Plus ChaCha20 mask-expansion throughput.
//
//   node packages/secagg/scripts/bench-secagg.mjs [--quick] [--json]
//
// --quick: only n ∈ {5, 20}, P = 100k. Needs the built package:
// pnpm --filter @cohortfl/secagg... build
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { SecAggClient, SecAggServer, SIZES, applyMask, createQuantizer, defaultDegree, expandMask } from '../dist/index.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const json = args.includes('--json');
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
    const [reveals, ms] = time(() => client.unmask(request));
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

if (json) {
  console.log(JSON.stringify({ chacha20: chacha, node: process.version, rows }, null, 2));
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
}
