// The wire fuzzer (issue 12): mutated socket.io frames against a real coordinator process
// (before and after authentication) and against a real site agent process from a fake
// coordinator that runs the real handshake. Loopback only, bounded in count and time.
// Every frame is followed by a probe (an envelope of protocol version 97.31, which every
// peer refuses with an `error` naming that version), so each frame's outcome is known:
// `closed` (the peer closed the connection), `answered` (a reply before the probe's),
// or `accepted` (no reply, the probe answered after it: only valid packets may be).
// Exact checks: the peer's invalid_packet and frame_too_large counters grow by exactly the
// frames of those kinds, nothing reaches a process guard, and both processes stay up.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dist = (...p) => join(ROOT, ...p);
const wire = await import(dist('packages', 'wire', 'dist', 'index.js'));
const identityLib = await import(dist('packages', 'identity', 'dist', 'index.js'));
const { REFUSALS } = await import(dist('coordinator', 'dist', 'refusals.js'));
const REFUSAL_REASONS = REFUSALS.length;
const { Manager } = await import('socket.io-client');
const { Packr } = createRequire(dist('packages', 'wire', 'package.json'))('msgpackr');
const { Server } = createRequire(dist('coordinator', 'package.json'))('socket.io');

const COORDINATOR_CLI = dist('coordinator', 'dist', 'cli.js');
const SITE_CLI = dist('site-agent', 'dist', 'cli.js');
const PROBE_VERSION = '97.31';
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: true, structuredClone: false, copyBuffers: true, skipValues: [undefined] });
const codec = wire.createCodec();
const RESERVED = [...wire.RESERVED_EVENTS];

/** The frame generator: msgpack-level mutations of valid socket.io packets and envelopes. */
export function frameGenerator(seed, { site, publicKey, oversizedBytes }) {
  const rand = wire.createSeededRandom(seed); // the project's one seeded PRNG
  const int = (n) => Math.floor(rand() * n);
  const pick = (xs) => xs[int(xs.length)];
  const bytes = (n) => Uint8Array.from({ length: n }, () => int(256));
  const envelopes = [
    wire.createEnvelope('hello', { site, protocolVersion: wire.PROTOCOL_VERSION, publicKey, nonce: bytes(32) }),
    wire.createEnvelope('auth', { site, signature: bytes(64) }),
    { ...wire.createEnvelope('status', { ready: true, seq: 1 }), sig: bytes(64) },
    wire.createEnvelope('error', { code: 'MESSAGE_INVALID', message: 'x' }),
    wire.createEnvelope('welcome', { site, sessionId: 'abc' }),
    wire.createEnvelope('challenge', { challenge: bytes(32), coordinatorPublicKey: publicKey, binding: 'none', proof: bytes(64) }),
  ];
  const packet = (data, extra = {}) => ({ type: 2, nsp: '/', data, ...extra });
  const huge = [[0xdb, 0xff, 0xff, 0xff, 0xff], [0xc6, 0xff, 0xff, 0xff, 0xf0], [0xdd, 0x7f, 0xff, 0xff, 0xff], [0xdf, 0xff, 0xff, 0xff, 0xff], [0xc9, 0xff, 0xff, 0xff, 0xff, 0x74]];
  const randomValue = (depth = 0) => {
    switch (int(depth > 2 ? 9 : 13)) {
      case 0: return null;
      case 1: return rand() < 0.5;
      case 2: return pick([0, -1, 1, 255, 65536, 2 ** 31, -(2 ** 31), 2 ** 53 - 1, 2 ** 60, -(2 ** 63)]);
      case 3: return pick([NaN, Infinity, -Infinity, 1.5, -0]);
      case 4: return pick(['', 'msg', 'hello', ...RESERVED, 'x'.repeat(int(300)), '/dashboard', '\u0000']);
      case 5: return bytes(int(64));
      case 6: return pick([new Float32Array(int(16)), new Float64Array(int(4)), new Int32Array(3), new Uint8Array(0)]);
      case 7: return new Date(int(2 ** 40));
      case 8: return undefined;
      case 9: return Array.from({ length: int(4) }, () => randomValue(depth + 1));
      case 10: return Object.fromEntries(Array.from({ length: int(4) }, () => [pick(['type', 'nsp', 'data', 'id', 'v', 'body', '__proto__', 'constructor', 'x']), randomValue(depth + 1)]));
      case 11: return [pick(['msg', ...RESERVED, 'snapshot', '']), randomValue(depth + 1)];
      default: return { ...pick(envelopes), body: randomValue(depth + 1) };
    }
  };
  const flip = (b) => {
    const out = Uint8Array.from(b);
    for (let i = 1 + int(8); i > 0 && out.length > 0; i--) out[int(out.length)] ^= 1 << int(8);
    return out;
  };
  const truncate = (b) => b.subarray(0, int(b.length));
  const spliceHuge = (b) => {
    const at = int(b.length + 1);
    return Uint8Array.from([...b.subarray(0, at), ...pick(huge), ...b.subarray(at, at + int(8))]);
  };
  const mutateBytes = (b) => pick([flip, truncate, spliceHuge])(b);
  const pack = (v) => {
    try {
      return new Uint8Array(packr.pack(v));
    } catch {
      return bytes(8);
    }
  };
  const validEnvelopeBytes = () => {
    const env = pick(envelopes);
    try {
      return codec.encode(env);
    } catch {
      return pack(env);
    }
  };
  const families = [
    ['bit flips', () => flip(pack(packet(['msg', validEnvelopeBytes()])))],
    ['truncation', () => truncate(pack(packet(['msg', validEnvelopeBytes()])))],
    ['type confusion', () => pack({ type: pick([0, 1, 2, 3, 4, 5, 6, int(10), '2', null]), nsp: pick(['/', '/', '/dashboard']), data: randomValue(), ...(rand() < 0.3 ? { id: pick([0, 1, -1, 2 ** 53, 1.5, 'x']) } : {}) })],
    ['huge lengths', () => spliceHuge(pack(packet(['msg', validEnvelopeBytes()])))],
    ['reserved event names', () => pack({ type: pick([2, 5]), nsp: pick(['/', '/dashboard']), data: [pick(RESERVED), randomValue()] })],
    ['wrong namespaces', () => pack({ type: pick([0, 1, 2, 3, 5]), nsp: pick(['', 'x', '/x', '/dashboard', '//', '/'.repeat(300), '/\u0000']), data: pick([['msg', validEnvelopeBytes()], undefined, {}, { token: 'x' }, []]) })],
    ['binary attachments', () => pack({ type: pick([5, 6, 2]), nsp: '/', data: ['msg', ...Array.from({ length: int(3) + 1 }, () => pick([bytes(int(512)), new Float32Array(int(64)), new Float64Array(int(8)), new BigInt64Array(2)]))], ...(rand() < 0.3 ? { id: int(100) } : {}) })],
    ['envelope mutations', () => pack(packet(['msg', mutateBytes(validEnvelopeBytes())]))],
    ['envelope type confusion', () => {
      const env = { ...pick(envelopes) };
      const key = pick(['v', 'id', 'type', 'body', 'sentAt', 'sig', 'extra']);
      env[key] = randomValue();
      return pack(packet(['msg', pack(env)]));
    }],
    ['valid packets', () => pack(pick([packet(['msg', validEnvelopeBytes()]), { type: 3, nsp: '/', data: [], id: int(9) }, packet(['other', 1]), packet(['msg', validEnvelopeBytes()], { id: int(5) })]))],
    ['random bytes', () => bytes(int(64))],
  ];
  return {
    families: families.map(([name]) => name),
    next(allowOversized) {
      if (allowOversized && oversizedBytes && rand() < 0.01) return { family: 'oversized', frame: bytes(oversizedBytes + int(oversizedBytes)) };
      const [family, make] = families[int(families.length)];
      return { family, frame: make() };
    },
  };
}

/** What the peer's parser does with `frame`: 'invalid' (refuses and closes) or 'valid'. */
function oracle(frame) {
  const decoder = new wire.MsgpackrDecoder();
  try {
    decoder.add(frame);
    return 'valid';
  } catch {
    return 'invalid';
  }
}

function isNamespaceDisconnect(frame) {
  if (oracle(frame) !== 'valid') return false;
  const p = packr.unpack(frame);
  return p.type === 1 && p.nsp === '/';
}

function probeFrame() {
  const env = { ...wire.createEnvelope('status', { ready: true }), v: PROBE_VERSION };
  return new Uint8Array(packr.pack({ type: 2, nsp: '/', data: ['msg', new Uint8Array(packr.pack(env))] }));
}
const isProbeReply = (env) => env.type === 'error' && env.body.message.includes(PROBE_VERSION);

function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function parseMetrics(text) {
  const out = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}
const scrape = async (url) => parseMetrics(await (await fetch(url)).text());
const sumPrefix = (m, prefix) => [...m].filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);

function cli(script, args) {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', env: { ...process.env, COHORTFL_QUIET: '1' } });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** The coordinator's signed audit log, through `cohort-coordinator audit export` (the store must be closed). */
function auditEntries(data) {
  return JSON.parse(cli(COORDINATOR_CLI, ['audit', 'export', '--data-dir', data])).entries;
}

function startProcess(script, args) {
  const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, COHORTFL_QUIET: '1' }, stdio: ['ignore', 'pipe', 'ignore'] });
  let buffer = '';
  const lines = [];
  child.stdout.on('data', (c) => {
    buffer += c.toString('utf8');
    let i;
    while ((i = buffer.indexOf('\n')) >= 0) {
      lines.push(buffer.slice(0, i));
      buffer = buffer.slice(i + 1);
    }
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const waitFor = async (re, ms = 60_000) => {
    const end = Date.now() + ms;
    for (;;) {
      for (const l of lines) {
        const m = re.exec(l);
        if (m) return m;
      }
      if (child.exitCode !== null) throw new Error(`${script} exited ${child.exitCode}`);
      if (Date.now() > end) throw new Error(`no line matching ${re}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, exited, waitFor };
}

class RssSampler {
  constructor(pid) {
    this.pid = pid;
    this.start = rssOf(pid);
    this.peak = this.start ?? 0;
    this.timer = setInterval(() => this.sample(), 250);
  }
  sample() {
    const r = rssOf(this.pid);
    if (r !== undefined && r > this.peak) this.peak = r;
    return r;
  }
  stop() {
    clearInterval(this.timer);
    this.end = this.sample();
    return { start: this.start, peak: this.peak, end: this.end };
  }
}

/** One frame then the probe on a raw socket.io connection; resolves the frame's outcome. */
class Conn {
  static async open(url) {
    const manager = new Manager(url, { parser: wire.msgpackrParser, transports: ['websocket'], reconnection: false, forceNew: true, autoConnect: false, timeout: 10_000 });
    const socket = manager.socket('/');
    await new Promise((resolve, reject) => manager.open((e) => (e ? reject(e) : resolve())));
    const conn = new Conn(manager, socket);
    await new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
      socket.connect();
    });
    return conn;
  }
  constructor(manager, socket) {
    this.manager = manager;
    this.socket = socket;
    this.closed = undefined;
    this.inbox = [];
    this.wake = () => {};
    manager.engine.on('close', (reason, desc) => {
      this.closed = { reason, code: desc?.context?.code };
      this.wake();
    });
    socket.on('msg', (b) => {
      try {
        this.inbox.push(codec.decode(new Uint8Array(b)));
      } catch {
        this.inbox.push({ type: 'undecodable' });
      }
      this.wake();
    });
    socket.on('connect_error', () => {
      this.inbox.push({ type: 'connect_error' });
      this.wake();
    });
  }
  next(test, ms = 15_000) {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), ms);
      const check = () => {
        const r = test();
        if (r) {
          clearTimeout(timer);
          this.wake = () => {};
          resolve(r);
        } else this.wake = check;
      };
      check();
    });
  }
  /** Sends `frame` then the probe; 'closed' | 'answered' | 'accepted' | 'timeout'. */
  async exchange(frame) {
    const from = this.inbox.length;
    this.manager.engine.send(frame);
    this.manager.engine.send(probeFrame());
    const r = await this.next(() => {
      const i = this.inbox.slice(from).findIndex(isProbeReply);
      if (i >= 0) return { replies: i };
      if (this.closed) return { closed: true, replies: this.inbox.length - from };
      return undefined;
    });
    if (r === 'timeout') return { outcome: 'timeout' };
    if (r.closed) return { outcome: 'closed', code: this.closed.code, replies: r.replies };
    return { outcome: r.replies > 0 ? 'answered' : 'accepted' };
  }
  async handshake(site, identity) {
    const nonce = identityLib.createChallenge();
    this.socket.emit('msg', codec.encode(wire.createEnvelope('hello', { site, protocolVersion: wire.PROTOCOL_VERSION, publicKey: identityLib.encodePublicKey(identity.publicKey), nonce })));
    const ch = await this.next(() => this.inbox.find((e) => e.type === 'challenge') ?? (this.closed ? 'closed' : undefined));
    if (typeof ch === 'string') throw new Error(`handshake: ${ch}`);
    const signature = identityLib.signChallenge(identity.secretKey, {
      challenge: ch.body.challenge,
      site,
      coordinatorPublicKey: identityLib.decodePublicKey(ch.body.coordinatorPublicKey),
      siteNonce: nonce,
      proof: ch.body.proof,
      channelBinding: identityLib.NO_CHANNEL_BINDING,
    });
    this.socket.emit('msg', codec.encode(wire.createEnvelope('auth', { site, signature })));
    const w = await this.next(() => this.inbox.find((e) => e.type === 'welcome') ?? (this.closed ? 'closed' : undefined));
    if (typeof w === 'string') throw new Error(`handshake: ${w}`);
    this.inbox.length = 0;
  }
  close() {
    this.manager.engine.close();
  }
}

function tally() {
  return { frames: 0, closed: 0, answered: 0, accepted: 0, invalid: 0, oversized: 0, violations: [], families: {} };
}
function record(t, family, kind, result, frame) {
  t.frames += 1;
  t.families[family] = (t.families[family] ?? 0) + 1;
  if (result.outcome === 'timeout') t.violations.push(`${family}: no outcome (frame ${Buffer.from(frame.subarray(0, 32)).toString('hex')})`);
  else t[result.outcome] += 1;
  if (kind === 'oversized') {
    t.oversized += 1;
    if (result.outcome !== 'closed' || result.code !== 1009) t.violations.push(`oversized frame not refused with 1009 (${result.outcome})`);
  } else if (kind === 'invalid') {
    t.invalid += 1;
    if (result.outcome !== 'closed' || result.replies > 0) t.violations.push(`${family}: invalid packet not refused by closing (${result.outcome})`);
  }
}

async function fuzzCoordinator({ frames, seed, concurrency, deadline, log }) {
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'cohortfl-fuzz-'));
  const data = join(dir, 'coordinator');
  try {
    cli(COORDINATOR_CLI, ['init', '--data-dir', data]);
    const sites = Array.from({ length: concurrency }, (_, i) => ({ name: `fuzz-${i}`, identity: identityLib.generateIdentity() }));
    for (const s of sites) cli(COORDINATOR_CLI, ['sites', 'add', s.name, '--public-key', identityLib.encodePublicKey(s.identity.publicKey), '--data-dir', data]);
    const auditBefore = auditEntries(data).length;
    const proc = startProcess(COORDINATOR_CLI, ['serve', '--data-dir', data, '--host', '127.0.0.1', '--port', '0', '--log-level', 'error']);
    const url = (await proc.waitFor(/listening on (\S+)/))[1];
    const rss = new RssSampler(proc.child.pid);
    const config = JSON.parse(readFileSync(join(data, 'config.json'), 'utf8'));
    const preAuthLimit = config.limits?.preAuthFrameBytes ?? 8192;
    const before = await scrape(`${url}/metrics`);
    const pre = tally();
    const post = tally();
    const half = Math.ceil(frames / 2);
    const started = Date.now();
    // Before authentication: one connection per frame (a refusal closes it), `concurrency` at once.
    let issued = 0;
    await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
      const gen = frameGenerator(seed * 1000 + w, { site: sites[w].name, publicKey: identityLib.encodePublicKey(sites[w].identity.publicKey), oversizedBytes: preAuthLimit + 1 });
      while (issued < half && Date.now() < deadline) {
        issued += 1;
        const { family, frame } = gen.next(true);
        const kind = family === 'oversized' ? 'oversized' : oracle(frame);
        const conn = await Conn.open(url);
        const result = await conn.exchange(frame);
        conn.close();
        record(pre, family, kind, result, frame);
      }
    }));
    log(`coordinator, before authentication: ${pre.frames} frames in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // After authentication: one site per worker; a connection closed by a refusal is re-established.
    const postStarted = Date.now();
    issued = 0;
    await Promise.all(sites.map(async (s, w) => {
      const gen = frameGenerator(seed * 1000 + 500 + w, { site: s.name, publicKey: identityLib.encodePublicKey(s.identity.publicKey) });
      let conn;
      while (issued < frames - half && Date.now() < deadline) {
        issued += 1;
        if (!conn || conn.closed) {
          conn?.close();
          conn = await Conn.open(url);
          await conn.handshake(s.name, s.identity);
        }
        const { family, frame } = gen.next(false);
        const kind = oracle(frame);
        record(post, family, kind, await conn.exchange(frame), frame);
      }
      conn?.close();
    }));
    log(`coordinator, after authentication: ${post.frames} frames in ${((Date.now() - postStarted) / 1000).toFixed(1)} s`);
    await new Promise((r) => setTimeout(r, 300));
    const after = await scrape(`${url}/metrics`);
    const delta = (k) => (after.get(k) ?? 0) - (before.get(k) ?? 0);
    const counted = {
      invalid_packet: delta('cohort_messages_rejected_total{reason="invalid_packet"}'),
      frame_too_large: delta('cohort_messages_rejected_total{reason="frame_too_large"}'),
      all_refusals: sumPrefix(after, 'cohort_messages_rejected_total') - sumPrefix(before, 'cohort_messages_rejected_total'),
      uncaught: sumPrefix(after, 'cohort_uncaught_errors_total'),
    };
    const alive = proc.child.exitCode === null && proc.child.signalCode === null && (await fetch(`${url}/healthz`)).status === 200;
    const memory = rss.stop();
    proc.child.kill('SIGTERM');
    await proc.exited;
    const seconds = (Date.now() - started) / 1000;
    // What the campaign added to the signed audit log (after a clean stop, which flushes the
    // refusal counts), by kind; the export's own seal is the last entry and not counted.
    const added = auditEntries(data).slice(auditBefore, -1);
    const audit = { added: added.length, kinds: {}, refusalsCounted: 0, bound: 0 };
    for (const e of added) {
      audit.kinds[e.kind] = (audit.kinds[e.kind] ?? 0) + 1;
      if (e.kind === 'refusals') audit.refusalsCounted += e.data.count;
    }
    // Refusals are written at most once per site or bucket and reason per flush interval, and
    // at the stop: that bound depends on time, sites and reasons, never on the frame count.
    const flushSeconds = config.refusals?.flushSeconds ?? 60;
    audit.bound = (sites.length + 2) * REFUSAL_REASONS * (Math.ceil(seconds / flushSeconds) + 1);
    const violations = [...pre.violations, ...post.violations];
    if ((audit.kinds.refusals ?? 0) > audit.bound) violations.push(`${audit.kinds.refusals} refusals entries, above the bound ${audit.bound}`);
    const other = added.length - (audit.kinds.refusals ?? 0);
    if (other > 0) violations.push(`${other} audit entries other than refusals: ${JSON.stringify(audit.kinds)}`);
    if (audit.refusalsCounted !== counted.all_refusals) violations.push(`the audit log's refusals entries count ${audit.refusalsCounted}, /metrics ${counted.all_refusals}`);
    if (counted.invalid_packet !== pre.invalid + post.invalid) violations.push(`invalid_packet counted ${counted.invalid_packet}, sent ${pre.invalid + post.invalid}`);
    if (counted.frame_too_large !== pre.oversized) violations.push(`frame_too_large counted ${counted.frame_too_large}, sent ${pre.oversized}`);
    if (counted.uncaught !== 0) violations.push(`${counted.uncaught} errors reached the process guard`);
    if (!alive) violations.push('the coordinator is down');
    return { pre, post, counted, alive, memory, audit, violations };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A coordinator that runs the real handshake, then sends each frame below socket.io and a probe. */
async function fakeCoordinator(identity, sites) {
  const http = createServer();
  const io = new Server(http, { parser: wire.msgpackrParser, serveClient: false, transports: ['websocket'], maxHttpBufferSize: 1 << 20 });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  const coordinatorPublicKey = identityLib.encodePublicKey(identity.publicKey);
  let current;
  const waiters = [];
  io.on('connection', (socket) => {
    let challenge;
    let siteNonce;
    let proof;
    let claimed;
    const state = { socket, inbox: [], closed: false, welcomed: false, wake: () => {} };
    const closed = () => {
      state.closed = true;
      state.wake();
    };
    socket.on('disconnect', closed);
    socket.conn.on('close', closed);
    socket.on('msg', (b) => {
      let env;
      try {
        env = codec.decode(new Uint8Array(b));
      } catch {
        return;
      }
      if (!state.welcomed && env.type === 'hello' && sites[env.body.site] === env.body.publicKey) {
        claimed = env.body.site;
        challenge = identityLib.createChallenge();
        siteNonce = env.body.nonce;
        proof = identityLib.signCoordinatorProof(identity.secretKey, { site: claimed, siteNonce, challenge, channelBinding: identityLib.NO_CHANNEL_BINDING });
        socket.emit('msg', codec.encode(wire.createEnvelope('challenge', { challenge, coordinatorPublicKey, binding: 'none', proof })));
      } else if (!state.welcomed && env.type === 'auth' && challenge) {
        const input = { challenge, site: claimed, coordinatorPublicKey: identity.publicKey, siteNonce, proof, channelBinding: identityLib.NO_CHANNEL_BINDING };
        if (!identityLib.verifyChallenge(identityLib.decodePublicKey(sites[claimed]), input, env.body.signature)) return socket.disconnect(true);
        state.welcomed = true;
        socket.emit('msg', codec.encode(wire.createEnvelope('welcome', { site: claimed, sessionId: 'fuzz' })));
      } else if (state.welcomed && env.type === 'status' && !state.ready) {
        // The status right after welcome: this connection is the site's session from now on.
        state.ready = true;
        current = state;
        for (const w of waiters.splice(0)) w(state);
      } else {
        state.inbox.push(env);
        state.wake();
      }
    });
  });
  return {
    url: `http://127.0.0.1:${http.address().port}`,
    /** The site's open session, waiting (at most 60 s) for it to reconnect after a refusal closed the last one. */
    session: () =>
      current && !current.closed
        ? Promise.resolve(current)
        : new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('the site agent did not reconnect within 60 s')), 60_000);
            waiters.push((state) => {
              clearTimeout(timer);
              resolve(state);
            });
          }),
    async exchange(state, frame) {
      const from = state.inbox.length;
      state.socket.conn.send(Buffer.from(frame));
      // A valid DISCONNECT of the site's namespace is this coordinator closing the session (the site
      // answers nothing and reconnects): close the server side of it too, as socket.io's disconnect() does.
      if (isNamespaceDisconnect(frame)) {
        state.socket.disconnect(true);
        return { outcome: 'closed', replies: 0 };
      }
      state.socket.conn.send(Buffer.from(probeFrame()));
      const r = await new Promise((resolve) => {
        const timer = setTimeout(() => resolve('timeout'), 15_000);
        const check = () => {
          const i = state.inbox.slice(from).findIndex(isProbeReply);
          if (i >= 0 || state.closed) {
            clearTimeout(timer);
            state.wake = () => {};
            resolve(i >= 0 ? { replies: i } : { closed: true, replies: state.inbox.length - from });
          } else state.wake = check;
        };
        check();
      });
      if (r === 'timeout') return { outcome: 'timeout' };
      if (r.closed) return { outcome: 'closed', replies: r.replies };
      return { outcome: r.replies > 0 ? 'answered' : 'accepted' };
    },
    close: () => new Promise((resolve) => { io.disconnectSockets(true); io.close(() => resolve()); }),
  };
}

async function fuzzSite({ frames, seed, deadline, log, closingShare }) {
  const dir = mkdtempSync(join(tmpdir(), 'cohortfl-fuzz-site-'));
  try {
    const key = identityLib.generateIdentity();
    const keyPath = join(dir, 'site.key');
    const out = cli(SITE_CLI, ['keygen', '--out', keyPath]);
    const publicKey = /ed25519:[A-Za-z0-9_-]{43}/.exec(out)[0];
    const fake = await fakeCoordinator(key, { fuzzsite: publicKey });
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data', 'clinical.csv'), 'id,y,a\n1,0,1\n');
    writeFileSync(join(dir, 'policy.json'), JSON.stringify({ acceptTasks: false, approvedTaskHashes: [], minCohortSize: 2 }));
    writeFileSync(join(dir, 'site.json'), JSON.stringify({
      site: 'fuzzsite', coordinator: { url: fake.url, publicKey: identityLib.encodePublicKey(key.publicKey) }, keyFile: 'site.key', dataDir: 'data', policy: 'policy.json', stateDir: 'state', metrics: { host: '127.0.0.1', port: 0 },
    }));
    const proc = startProcess(SITE_CLI, ['run', '--config', join(dir, 'site.json'), '--log-level', 'error']);
    const metricsUrl = (await proc.waitFor(/metrics on (\S+)/))[1];
    const rss = new RssSampler(proc.child.pid);
    const before = await scrape(metricsUrl);
    const t = tally();
    const gen = frameGenerator(seed * 1000 + 900, { site: 'fuzzsite', publicKey });
    const started = Date.now();
    let skipped = 0;
    let last;
    while (t.frames < frames && Date.now() < deadline) {
      const state = await fake.session().catch((e) => {
        throw new Error(`${e.message} (after a ${last?.family} frame ${last ? Buffer.from(last.frame.subarray(0, 48)).toString('hex') : ''}: ${last?.outcome})`);
      });
      let { family, frame } = gen.next(false);
      let kind = oracle(frame);
      // A refused packet costs the site a reconnect (socket.io's 0.25-0.75 s delay): only a share of those.
      while (kind === 'invalid' && gen && Math.random() >= closingShare) {
        skipped += 1;
        ({ family, frame } = gen.next(false));
        kind = oracle(frame);
      }
      const result = await fake.exchange(state, frame);
      last = { family, frame, outcome: JSON.stringify(result) };
      record(t, family, kind, result, frame);
    }
    log(`site agent, after authentication: ${t.frames} frames in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await new Promise((r) => setTimeout(r, 300));
    const after = await scrape(metricsUrl);
    const counted = {
      invalid_packet: (after.get('cohort_messages_rejected_total{reason="invalid_packet"}') ?? 0) - (before.get('cohort_messages_rejected_total{reason="invalid_packet"}') ?? 0),
      all_refusals: sumPrefix(after, 'cohort_messages_rejected_total') - sumPrefix(before, 'cohort_messages_rejected_total'),
      uncaught: sumPrefix(after, 'cohort_site_uncaught_errors_total'),
    };
    const alive = proc.child.exitCode === null && proc.child.signalCode === null;
    const memory = rss.stop();
    proc.child.kill('SIGTERM');
    await proc.exited;
    await fake.close();
    const violations = [...t.violations];
    if (counted.invalid_packet !== t.invalid) violations.push(`site invalid_packet counted ${counted.invalid_packet}, sent ${t.invalid}`);
    if (counted.uncaught !== 0) violations.push(`${counted.uncaught} errors reached the site's process guard`);
    if (!alive) violations.push('the site agent is down');
    return { post: t, counted, alive, memory, violations, invalidSkipped: skipped };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `frames` mutated frames each way: half before and half after authentication against the
 * coordinator, and `frames` after authentication against the site agent (of which at most
 * `siteClosingShare` of the invalid packets are sent: each costs the agent a reconnect).
 */
export async function runFuzz({ frames = 100_000, seed = 1, concurrency = 8, timeBudgetMs = 30 * 60_000, siteClosingShare = 0.003, log = () => {} } = {}) {
  const deadline = Date.now() + timeBudgetMs;
  const coordinator = await fuzzCoordinator({ frames, seed, concurrency, deadline, log });
  const site = await fuzzSite({ frames, seed, deadline, log, closingShare: siteClosingShare });
  return { coordinator, site, violations: [...coordinator.violations, ...site.violations] };
}
