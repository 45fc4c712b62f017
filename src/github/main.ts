import { runMain } from './run-main.js';

await runMain();
// A cache request abandoned at its timeout may still hold a socket open: end with the step.
process.exit();
