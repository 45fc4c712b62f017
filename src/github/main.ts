import { runCleanup } from '../process/cleanup.js';
import { stopOnSignals } from '../process/signals.js';
import { runMain } from './run-main.js';
import { keepTemporaryPathsInState } from './temporary-state.js';

stopOnSignals();
keepTemporaryPathsInState();
await runMain();
// A signal's removals finish (and exit with its status) before the step ends.
await runCleanup.settled();
// A cache request abandoned at its timeout may still hold a socket open: end with the step.
process.exit();
