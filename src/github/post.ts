import { runPost } from './run-post.js';

await runPost();
// A cache upload abandoned at its timeout may still hold a socket open: end with the step.
process.exit();
