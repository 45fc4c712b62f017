#!/usr/bin/env node
// One `actions/cache` step as a hand-written workflow has it, for bench/pr-check's hand-written side: the
// same @actions/cache library the actions/cache action calls (restoreCache in its main step, saveCache in
// its post step unless the primary key was hit), in a process of its own as the runner starts each step.
//
//   node bench/actions-cache-step.mjs restore KEY PATH...   # prints "hit KEY" or "miss"
//   node bench/actions-cache-step.mjs save KEY PATH...      # prints "saved" or "not saved"
//   node bench/actions-cache-step.mjs post KEY PATH...      # the post step after an exact hit: saves nothing
//
// The environment names the cache service (test/support/results-server's env()).
import * as cache from '@actions/cache';

const [command, key, ...paths] = process.argv.slice(2);
if (!key || paths.length === 0 || !['restore', 'save', 'post'].includes(command)) {
  console.error('usage: actions-cache-step.mjs restore|save|post KEY PATH...');
  process.exit(2);
}
if (command === 'post') {
  // What actions/cache's post step does after the primary key was restored (it loads the same library).
  console.log(`Cache hit occurred on the primary key ${key}, not saving cache.`);
} else if (command === 'restore') {
  const hit = await cache.restoreCache(paths, key);
  console.log(hit ? `hit ${hit}` : 'miss');
} else {
  const id = await cache.saveCache(paths, key);
  console.log(id > 0 ? 'saved' : 'not saved');
}
