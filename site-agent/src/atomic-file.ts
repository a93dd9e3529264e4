/**
 * Replacing a small file atomically: temp file, fsync, rename, fsync the folder,
 * so a crash leaves either the old content or the new one, never half of each.
 * The site state and the privacy ledger are both written this way.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

let counter = 0;

export function writeFileAtomic(dir: string, name: string, text: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  counter += 1;
  const temp = join(dir, `.${name}.${process.pid}.${counter}.tmp`);
  const fd = openSync(temp, 'w', 0o600);
  try {
    const bytes = Buffer.from(text, 'utf8');
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, join(dir, name));
  syncDir(dir);
}

/** fsync a folder, so a file just created or renamed in it survives a crash. */
export function syncDir(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a folder; the file itself is already durable.
  } finally {
    closeSync(fd);
  }
}
