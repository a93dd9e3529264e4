import { beforeAll } from 'vitest';
import { fusedPathSuite } from './fused-train.test-suite.js';
import { initBackend } from './index.js';

// Its own file, hence its own process: the backend choice is once per process.
beforeAll(async () => {
  await initBackend(['cpu'], { quiet: true });
});

fusedPathSuite();
