/** Small files that must be private (admin token) or replaced atomically (serve.json). */
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { CohortError } from '@cohortfl/wire';

const POSIX = process.platform !== 'win32';

function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written);
  fsyncSync(fd);
}

/** Create `path` with `mode`, refusing to overwrite an existing file. */
export function writeNewFile(path: string, text: string, mode: number): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', mode);
  } catch (error) {
    const exists = (error as NodeJS.ErrnoException).code === 'EEXIST';
    throw new CohortError('CONFIG_INVALID', exists ? `${path} already exists; refusing to overwrite it` : `cannot create ${path}: ${(error as Error).message}`);
  }
  try {
    // The umask can only clear bits; fchmod makes the mode exact.
    if (POSIX) fchmodSync(fd, mode);
    writeAll(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** Replace `path` atomically (temp file + rename), so a reader never sees half a file. */
export function replaceFile(path: string, text: string, mode = 0o644): void {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  writeNewFile(temp, text, mode);
  renameSync(temp, path);
}
