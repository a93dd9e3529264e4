/** Test support (excluded from the build): small site folders written into the OS temp dir. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created: string[] = [];

/** Writes `files` (name → content) into a fresh temp folder and returns its path. */
export async function siteDir(files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cohortfl-data-'));
  created.push(dir);
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  return dir;
}

export async function removeSiteDirs(): Promise<void> {
  await Promise.all(created.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export interface VcfRecordSpec {
  id: string;
  chrom?: string;
  pos?: number;
  ref?: string;
  alt?: string;
  format?: string;
  gts: string[];
}

/** A minimal VCF 4.2 text with one line per record (newline-terminated). */
export function vcfText(samples: string[], records: VcfRecordSpec[]): string {
  const lines = [
    '##fileformat=VCFv4.2',
    '##contig=<ID=1,length=249250621>',
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', 'FORMAT', ...samples].join('\t'),
  ];
  records.forEach((r, i) => {
    lines.push([r.chrom ?? '1', r.pos ?? 1000 + i, r.id, r.ref ?? 'A', r.alt ?? 'G', '50', 'PASS', '.', r.format ?? 'GT', ...r.gts].join('\t'));
  });
  return `${lines.join('\n')}\n`;
}

/** CSV text from a header and rows (no quoting: test values hold no commas). */
export function csvText(header: string[], rows: (string | number)[][], delimiter = ','): string {
  return `${[header, ...rows].map((r) => r.join(delimiter)).join('\n')}\n`;
}
