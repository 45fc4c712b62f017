// Bundles the action's entries and the CLI with ncc into dist/, the way the runner and npx run them.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

const entries = [
  ['src/github/main.ts', 'dist/main'],
  ['src/github/post.ts', 'dist/post'],
  ['src/cli/index.ts', 'dist/cli'],
];

rmSync('dist', { recursive: true, force: true });
for (const [entry, out] of entries) {
  execFileSync(
    'npx',
    ['ncc', 'build', entry, '-o', out, '--license', 'licenses.txt', '--quiet', '--target', 'es2023'],
    {
      stdio: 'inherit',
    },
  );
}
