#!/usr/bin/env node
/** cohort-site: the hospital's one command (see cli-app.ts for the commands). */
import { hideBin } from 'yargs/helpers';
import { runCli } from './cli-app.js';

const code = await runCli(hideBin(process.argv), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  processGuard: true,
});
// Exit explicitly: socket.io and TensorFlow.js may hold handles after a clean stop.
process.exit(code);
