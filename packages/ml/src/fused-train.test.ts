import { beforeAll } from 'vitest';
import { fusedPathSuite } from './fused-train.test-suite.js';
import { initBackend } from './index.js';

beforeAll(async () => {
  await initBackend(['wasm'], { quiet: true });
});

fusedPathSuite();
