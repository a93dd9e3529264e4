/**
 * A file as a stream of text lines, gunzipped on the fly when it starts with
 * the gzip magic bytes (plain gzip or BGZF, which is multi-member gzip and
 * which zlib's gunzip reads to the end). Only one chunk is in memory at a time.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export interface TextLines {
  lines: AsyncIterable<string>;
  gzipped: boolean;
  close(): void;
}

async function isGzip(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

export async function openTextLines(path: string): Promise<TextLines> {
  const gzipped = await isGzip(path);
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  let input: Readable = file;
  if (gzipped) {
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    // pipe() does not forward read errors; readline must see them to end the loop.
    file.on('error', (e) => gunzip.destroy(e));
    input = file.pipe(gunzip);
  }
  const rl = createInterface({ input, crlfDelay: Infinity });
  return {
    lines: rl,
    gzipped,
    close: () => {
      rl.close();
      input.destroy();
      file.destroy();
    },
  };
}

/** True for zlib's errors: a truncated (Z_BUF_ERROR) or corrupt (Z_DATA_ERROR) gzip stream. */
export function isGzipError(e: unknown): e is Error & { code: string } {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}
