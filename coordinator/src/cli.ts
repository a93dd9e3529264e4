#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { runCli } from './cli-app.js';

process.exitCode = await runCli(hideBin(process.argv));
