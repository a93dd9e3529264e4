import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
// @ts-expect-error plain ESM script without type declarations
import { checkImports, findViolations, importsOf } from '../scripts/check-deps.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('dependency direction check', () => {
  it('passes on the repository as it stands', () => {
    expect(findViolations(root)).toEqual([]);
  });

  it('finds every import form', () => {
    const text = `import { a } from '@cohortfl/ml';\nimport type { B } from "./b.js";\nconst m = await import('msgpackr');\nimport 'side-effect';\nexport { c } from '../c.js';`;
    expect(importsOf(text)).toEqual(['@cohortfl/ml', './b.js', 'msgpackr', 'side-effect', '../c.js']);
  });

  it('fails a leaf importing upward, a library another unit owns, and package internals', () => {
    const problems: string[] = checkImports('data', 'packages/data/src/x.ts', ['@cohortfl/ml', '@tensorflow/tfjs', '@cohortfl/wire/src/errors.js', '@cohortfl/wire'], undefined);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain("'data' may not import '@cohortfl/ml'");
    expect(problems[1]).toContain('only ml may import');
    expect(problems[2]).toContain('never their internals');
  });

  it('allows only the declared public subpaths, and chart.js only in the dashboard', () => {
    expect(checkImports('dashboard', 'd.ts', ['@cohortfl/wire/socketio-parser', 'chart.js', 'socket.io-client'], undefined)).toEqual([]);
    expect(checkImports('dashboard', 'd.ts', ['@cohortfl/wire/codec'], undefined)[0]).toContain('never their internals');
    expect(checkImports('dashboard', 'd.ts', ['socket.io'], undefined)[0]).toContain('only coordinator / site-agent may import');
    expect(checkImports('coordinator', 'c.ts', ['chart.js'], undefined)[0]).toContain('only dashboard may import');
    expect(checkImports('dashboard', 'd.ts', ['@cohortfl/sdk'], undefined)).toHaveLength(1);
  });

  it('fails protocol importing sdk and sdk importing the coordinator', () => {
    expect(checkImports('protocol', 'p.ts', ['@cohortfl/sdk'], undefined)).toHaveLength(1);
    expect(checkImports('sdk', 's.ts', ['@cohortfl/coordinator'], undefined)).toHaveLength(1);
    expect(checkImports('sdk', 's.ts', ['@cohortfl/protocol', '@cohortfl/ml', '@cohortfl/data'], undefined)).toEqual([]);
  });

  it('fails a relative import that leaves the package', () => {
    const dir = '/repo/packages/data/src';
    expect(checkImports('data', `${dir}/a.ts`, ['../../ml/src/index.js'], dir)).toHaveLength(1);
    expect(checkImports('data', `${dir}/a.ts`, ['./b.js'], dir)).toEqual([]);
  });
});
