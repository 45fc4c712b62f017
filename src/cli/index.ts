#!/usr/bin/env node
import { runCleanup } from '../process/cleanup.js';
import { stopOnSignals } from '../process/signals.js';
import { runCli } from './main.js';

stopOnSignals();
process.exitCode = await runCli(process.argv.slice(2));
// A signal's removals finish (and exit with its status) before the CLI ends.
await runCleanup.settled();
