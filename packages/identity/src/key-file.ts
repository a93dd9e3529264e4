import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fchmodSync,
  fstatSync,
  fsyncSync,
  linkSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CohortError } from '@cohortfl/wire';
import { decodeBase64Strict, encodeBase64 } from './bytes.js';
import { decodePublicKey, encodePublicKey } from './keys.js';
import type { Identity } from './keys.js';
import { checkIdentity } from './key-pair-check.js';

export const KEY_FILE_FORMAT = 'cohortfl-key/1';
const POSIX = process.platform !== 'win32';
/** A key file is ~200 bytes; refusing big files keeps a wrong path from being slurped. */
const MAX_KEY_FILE_BYTES = 4096;
const FIELDS = ['format', 'publicKey', 'secretKey', 'type'] as const;

export interface WriteKeyFileOptions {
  /** Replace an existing file at `path` (default false: refuse). */
  overwrite?: boolean;
}

/**
 * Writes the key pair as JSON with mode 0600, atomically: a temp file in the same
 * directory (created exclusively with 0600, fsynced) is renamed, or hard-linked when
 * overwriting is not allowed so that a file appearing meanwhile is never clobbered.
 */
export function writeKeyFile(path: string, identity: Identity, options: WriteKeyFileOptions = {}): void {
  checkIdentity(identity, `key pair for ${path}`);
  const overwrite = options.overwrite ?? false;
  if (!overwrite && existsSync(path)) {
    throw new CohortError('CONFIG_INVALID', `key file ${path} already exists; refusing to overwrite it`);
  }
  const text = `${JSON.stringify({
    format: KEY_FILE_FORMAT,
    type: 'ed25519',
    publicKey: encodePublicKey(identity.publicKey),
    secretKey: encodeBase64(identity.secretKey),
  }, null, 2)}\n`;
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${randomBytes(8).toString('hex')}.tmp`);
  let created = false;
  try {
    const fd = openSync(temp, 'wx', 0o600);
    created = true;
    try {
      // The umask can only clear bits; fchmod makes the mode exactly 0600.
      if (POSIX) fchmodSync(fd, 0o600);
      const bytes = Buffer.from(text, 'utf8');
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (overwrite) renameSync(temp, path);
    else publishExclusive(temp, path);
    syncDirectory(dir);
  } catch (error) {
    if (error instanceof CohortError) throw error;
    throw new CohortError('CONFIG_INVALID', `cannot write key file ${path}: ${(error as Error).message}`, { cause: error });
  } finally {
    // After a link (or a failure) the temp name is still there; after a rename it is not.
    if (created && existsSync(temp)) unlinkSync(temp);
  }
}

function publishExclusive(temp: string, path: string): void {
  try {
    linkSync(temp, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new CohortError('CONFIG_INVALID', `key file ${path} already exists; refusing to overwrite it`);
    }
    // Some filesystems have no hard links: fall back to check-then-rename.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV') throw error;
    if (existsSync(path)) {
      throw new CohortError('CONFIG_INVALID', `key file ${path} already exists; refusing to overwrite it`);
    }
    renameSync(temp, path);
  }
}

/**
 * Makes the rename itself durable. Windows cannot open directories this way, and a few
 * filesystems refuse fsync on a directory: there the file is written and fsynced but
 * the rename's durability is the filesystem's.
 */
function syncDirectory(dir: string): void {
  if (!POSIX) return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EISDIR') throw error;
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads and strictly checks a key file: a regular file no bigger than 4 KiB, no
 * permission for group or other (POSIX), exactly the four fields, and a secret key
 * that really belongs to the stated public key.
 */
export function readKeyFile(path: string): Identity {
  const text = readPrivateFile(path);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid(path, 'not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid(path, 'not a JSON object');
  const record = parsed as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  if (keys.length !== FIELDS.length || keys.some((key, i) => key !== FIELDS[i])) {
    throw invalid(path, `expected exactly the fields ${FIELDS.join(', ')}, found ${keys.join(', ') || 'none'}`);
  }
  if (record['format'] !== KEY_FILE_FORMAT) throw invalid(path, `'format' must be '${KEY_FILE_FORMAT}'`);
  if (record['type'] !== 'ed25519') throw invalid(path, `'type' must be 'ed25519'`);
  const publicText = record['publicKey'];
  const secretText = record['secretKey'];
  if (typeof publicText !== 'string') throw invalid(path, `'publicKey' must be a string`);
  if (typeof secretText !== 'string') throw invalid(path, `'secretKey' must be a string`);
  let publicKey: Uint8Array;
  try {
    publicKey = decodePublicKey(publicText);
  } catch (error) {
    throw invalid(path, `'publicKey': ${(error as Error).message}`);
  }
  const secretKey = decodeBase64Strict(secretText);
  if (secretKey === undefined || secretKey.length !== 64) {
    throw invalid(path, `'secretKey' must be 64 bytes in padded standard base64`);
  }
  const identity = { publicKey, secretKey };
  checkIdentity(identity, `key file ${path}`);
  return identity;
}

function invalid(path: string, why: string): CohortError {
  return new CohortError('CONFIG_INVALID', `key file ${path} is malformed: ${why}`);
}

/** Checks type, size and mode on the open descriptor, so the file read is the file checked. */
function readPrivateFile(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new CohortError('CONFIG_INVALID', `cannot open key file ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new CohortError('CONFIG_INVALID', `key file ${path} is not a regular file`);
    if (POSIX && (stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      throw new CohortError(
        'CONFIG_INVALID',
        `key file ${path} has mode ${mode}, readable by other users; a secret key must be private: run chmod 600 ${path}`,
      );
    }
    if (stat.size > MAX_KEY_FILE_BYTES) throw invalid(path, `larger than ${MAX_KEY_FILE_BYTES} bytes`);
    const buffer = Buffer.alloc(MAX_KEY_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > MAX_KEY_FILE_BYTES) throw invalid(path, `larger than ${MAX_KEY_FILE_BYTES} bytes`);
    }
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
