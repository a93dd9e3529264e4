import { describe, expect, it } from 'vitest';
import { MISSING_CALL, parseGt, scanGenotypes } from './genotype-scan.js';

const gt = (text: string, nAlt = 1): number => parseGt(text, 0, text.length, nAlt);

describe('parseGt', () => {
  it('counts ALT alleles in diploid, phased and haploid calls', () => {
    expect([gt('0/0'), gt('0/1'), gt('1/0'), gt('1|1'), gt('0|1'), gt('1'), gt('0')]).toEqual([0, 1, 1, 2, 1, 1, 0]);
    expect(gt('0/1:35:4')).toBe(1);
  });

  it('reports missing calls', () => {
    expect([gt('./.'), gt('.'), gt('.|.'), gt('./1')]).toEqual([MISSING_CALL, MISSING_CALL, MISSING_CALL, MISSING_CALL]);
  });

  it('rejects malformed calls and alleles the site does not have', () => {
    for (const bad of ['0/x', '2/3', '0/2', '', '0/', '/1', '0/1/1', 'A', '10', '0-1']) expect(gt(bad), bad).toBe(-1);
    expect(gt('1', 0)).toBe(-1); // ALT '.' has no allele 1
  });
});

describe('scanGenotypes', () => {
  const line = 'x\t0/1\t1/1\t0/0';
  it('fills only requested samples, in requested order', () => {
    const out = new Uint8Array(2);
    expect(scanGenotypes(line, 2, 3, Int32Array.from([1, -1, 0]), 0, 1, out, false)).toBeNull();
    expect([...out]).toEqual([0, 1]);
  });

  it('reports too few and too many columns', () => {
    const out = new Uint8Array(4);
    expect(scanGenotypes(line, 2, 4, Int32Array.from([0, 1, 2, 3]), 0, 1, out, false)).toMatchObject({ kind: 'columns', columns: 12 });
    expect(scanGenotypes(`${line}\t0/0`, 2, 3, Int32Array.from([0, 1, 2]), 0, 1, out, false)).toMatchObject({ kind: 'columns', columns: 13 });
  });

  it('finds GT when it is not the first FORMAT field, and treats a dropped GT as missing', () => {
    const out = new Uint8Array(2);
    expect(scanGenotypes('x\t35:1/1\t12', 2, 2, Int32Array.from([0, 1]), 1, 1, out, false)).toBeNull();
    expect([...out]).toEqual([2, MISSING_CALL]);
  });

  it('names the sample and text of a bad or (when errors are asked) missing call', () => {
    const out = new Uint8Array(2);
    expect(scanGenotypes('x\t0/1\t0/x:9', 2, 2, Int32Array.from([0, 1]), 0, 1, out, false)).toMatchObject({ kind: 'gt', sample: 1, text: '0/x' });
    expect(scanGenotypes('x\t./.\t0/1', 2, 2, Int32Array.from([0, 1]), 0, 1, out, true)).toMatchObject({ kind: 'missing', sample: 0, text: './.' });
  });
});
