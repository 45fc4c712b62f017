#!/usr/bin/env node
// One `actions/cache` step as a hand-written workflow has it, for bench/pr-check's hand-written side: the
// same @actions/cache library the actions/cache action calls (restoreCache in its main step, saveCache in
// its post step unless the primary key was hit), in a process of its own as the runner starts each step.
//
//   node bench/actions-cache-step.mjs restore KEY PATH...   # prints "hit KEY" or "miss"
//   node bench/actions-cache-step.mjs save KEY PATH...      # prints "saved" or "not saved"
//
// The environment names the cache service (test/support/results-server's env()).
import * as cache from '@actions/cache';

const [command, key, ...paths] = process.argv.slice(2);
if (!key || paths.length === 0 || !['restore', 'save'].includes(command)) {
  console.error('usage: actions-cache-step.mjs restore|save KEY PATH...');
  process.exit(2);
}
if (command === 'restore') {
  const hit = await cache.restoreCache(paths, key);
  console.log(hit ? `hit ${hit}` : 'miss');
} else {
  const id = await cache.saveCache(paths, key);
  console.log(id > 0 ? 'saved' : 'not saved');
}
