/**
 * Backend choice: tfjs-node (native TensorFlow) when its binary loads, else
 * WebAssembly, else plain JavaScript. Chosen once per process and announced in
 * one stderr line, so an operator knows how fast training will be.
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { CohortError } from '@cohortfl/wire';
import { tf } from './tf.js';
import type { BackendName, InitBackendOptions } from './types.js';

const BACKENDS: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

interface BackendState {
  promise: Promise<BackendName> | undefined;
  name: BackendName | undefined;
  logged: boolean;
}

// On globalThis, like tfjs's own engine: two copies of this module in one
// process (dist and src) must still agree on a single choice and a single log line.
const STATE_KEY = Symbol.for('@cohortfl/ml.backend');

function state(): BackendState {
  const g = globalThis as unknown as Record<symbol, BackendState | undefined>;
  let s = g[STATE_KEY];
  if (s === undefined) {
    s = { promise: undefined, name: undefined, logged: false };
    g[STATE_KEY] = s;
  }
  return s;
}

function nodeEnv(name: string): string | undefined {
  return typeof process === 'undefined' ? undefined : process.env[name];
}

function defaultPreference(): BackendName[] {
  const forced = nodeEnv('COHORTFL_BACKEND');
  if (forced === undefined || forced === '') return [...BACKENDS];
  if (!(BACKENDS as readonly string[]).includes(forced)) {
    throw new CohortError('CONFIG_INVALID', `COHORTFL_BACKEND is '${forced}', expected one of ${BACKENDS.join(', ')}`);
  }
  return [forced as BackendName];
}

/**
 * Picks and initializes the TensorFlow.js backend, trying `prefer` in order
 * (default tensorflow, wasm, cpu; env COHORTFL_BACKEND narrows it to one).
 * Memoized: later calls return the first choice whatever they prefer.
 */
export function initBackend(prefer?: BackendName[], options: InitBackendOptions = {}): Promise<BackendName> {
  const s = state();
  if (s.promise === undefined) {
    let order: BackendName[];
    try {
      order = prefer ?? defaultPreference();
      validatePreference(order);
    } catch (error) {
      return Promise.reject(error);
    }
    const quiet = options.quiet ?? nodeEnv('COHORTFL_QUIET') === '1';
    const chosen = choose(order, quiet).then((name) => {
      s.name = name;
      return name;
    });
    s.promise = chosen;
    // A failed attempt may be retried (e.g. with another preference).
    chosen.catch(() => {
      if (s.promise === chosen) s.promise = undefined;
    });
  }
  return s.promise;
}

/** The backend chosen by `initBackend`, or null before it has finished. */
export function currentBackend(): BackendName | null {
  return state().name ?? null;
}

/** Throws a clear error when a synchronous model builder runs before `initBackend`. */
export function requireBackend(what: string): void {
  if (tf.getBackend() == null) {
    throw new CohortError('CONFIG_INVALID', `${what} needs a TensorFlow.js backend: call \`await initBackend()\` first`);
  }
}

function validatePreference(order: BackendName[]): void {
  if (!Array.isArray(order) || order.length === 0 || order.some((b) => !BACKENDS.includes(b))) {
    throw new CohortError('CONFIG_INVALID', `backend preference must be a non-empty list of ${BACKENDS.join(', ')}`);
  }
}

async function choose(order: BackendName[], quiet: boolean): Promise<BackendName> {
  const skipped: string[] = [];
  for (const name of order) {
    const failure = await tryBackend(name);
    if (failure === null) {
      announce(name, skipped, quiet);
      return name;
    }
    skipped.push(failure);
  }
  throw new CohortError('CONFIG_INVALID', `no TensorFlow.js backend could start: ${skipped.join('; ')}`);
}

/** Returns null on success, else a short reason for the log line. */
async function tryBackend(name: BackendName): Promise<string | null> {
  if (name === 'tensorflow') {
    try {
      // TensorFlow's C++ start-up chatter (CPU feature notes) is noise for operators.
      if (typeof process !== 'undefined' && process.env.TF_CPP_MIN_LOG_LEVEL === undefined) {
        process.env.TF_CPP_MIN_LOG_LEVEL = '2';
      }
      // A variable specifier keeps the optional dependency out of type-checking and bundling.
      const specifier = '@tensorflow/tfjs-node';
      await import(specifier);
      return (await tf.setBackend('tensorflow')) ? null : 'tfjs-node failed to start';
    } catch {
      return 'tfjs-node not available';
    }
  }
  if (name === 'wasm') {
    try {
      await pointWasmAtDist();
      return (await tf.setBackend('wasm')) ? null : 'wasm failed to start';
    } catch {
      return 'wasm not available';
    }
  }
  const ok = await tf.setBackend('cpu');
  if (!ok) return 'cpu failed to start';
  silenceCpuBanner();
  return null;
}

/**
 * In Node, Emscripten already looks next to the wasm backend's own JS file;
 * naming that dist folder explicitly keeps working when this package is bundled.
 */
async function pointWasmAtDist(): Promise<void> {
  if (typeof process === 'undefined' || process.versions?.node === undefined) return;
  const { createRequire } = await import('node:module');
  const { dirname, sep } = await import('node:path');
  const main = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
  setWasmPaths(dirname(main) + sep);
}

/**
 * The cpu backend prints an "install tfjs-node" banner on its first tensor.
 * Our own log line already says cpu was chosen and why, so that first write
 * runs in production mode (tfjs's documented switch for its warnings).
 */
function silenceCpuBanner(): void {
  const env = tf.env();
  const prod = env.getBool('PROD');
  env.set('PROD', true);
  try {
    tf.tensor1d([0]).dispose();
  } finally {
    env.set('PROD', prod);
  }
}

function announce(name: BackendName, skipped: string[], quiet: boolean): void {
  const s = state();
  if (s.logged) return;
  s.logged = true;
  if (quiet) return;
  const why = skipped.length > 0 ? ` (${skipped.join(', ')})` : '';
  const line = `cohortfl: TensorFlow.js backend ${name}${why}\n`;
  if (typeof process !== 'undefined' && typeof process.stderr?.write === 'function') process.stderr.write(line);
  else console.error(line.trimEnd());
}
