import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';
import { captureOutput, type Capture } from './fixtures.test-suite.js';

describe('initBackend with COHORTFL_QUIET=1', () => {
  let out: Capture;
  beforeAll(() => {
    out = captureOutput();
    process.env.COHORTFL_QUIET = '1';
  });
  afterAll(() => {
    delete process.env.COHORTFL_QUIET;
    out.restore();
  });

  it('chooses a backend without printing anything', async () => {
    expect(await initBackend(['wasm'])).toBe('wasm');
    expect(out.text()).toBe('');
  });
});
