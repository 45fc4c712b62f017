import { runCleanup } from '../process/cleanup.js';
import { stopOnSignals } from '../process/signals.js';
import { runPost } from './run-post.js';

stopOnSignals();
await runPost();
// A signal's removals finish (and exit with its status) before the step ends.
await runCleanup.settled();
// A cache upload abandoned at its timeout may still hold a socket open: end with the step.
process.exit();
