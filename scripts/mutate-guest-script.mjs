// Mutation testing of the guest check script, which Stryker sees as one string: each mutant is a change
// of the shell in src/boot/check-unit.ts, killed when test/unit/boot-check-script.test.ts (the script run
// against a fake systemctl) fails. Works on a copy of HEAD: `node scripts/mutate-guest-script.mjs`.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'guest-mutants-'));

const archive = execFileSync('git', ['-C', repo, 'archive', 'HEAD'], { maxBuffer: 1 << 30 });
execFileSync('tar', ['-x', '-C', dir], { input: archive });
symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'));
const file = path.join(dir, 'src/boot/check-unit.ts');
const original = readFileSync(file, 'utf8');
const mutants = [
  ['running) ;;', 'running|maintenance) ;;'],
  ['degraded) [ -s "$FAILED" ] || [ -s "$FAILED.masked" ] || code=1 ;;', 'degraded) ;;'],
  ['  *) code=1 ;;\nesac', '  *) ;;\nesac'],
  ['[ ! -s "$FAILED.bad" ] || code=1', 'true'],
  ['[ "$settle" = done ] || code=1', 'true'],
  ['[ "$errors" = 0 ] || code=1', 'true'],
  ['if [ "$waited" = 124 ]; then', 'if [ "$waited" = 125 ]; then'],
  ['elif [ "$waited" -le 1 ] && [ ! -s "$ERR" ]; then', 'elif [ "$waited" -le 1 ]; then'],
  ['[ ! -s "$ERR" ] || fail \'systemctl is-system-running\'', 'true'],
  ['if [ "$load" = masked ]; then echo "$unit" >>"$FAILED.masked"; continue; fi', ':'],
  ['tolerated "$unit" || echo "$unit" >>"$FAILED.bad"', 'echo "$unit" >>"$FAILED.bad"'],
  ['case $pattern in *.*) ;; *) case $1 in $pattern.service) return 0 ;; esac ;; esac', ':'],
  ['left=$((SETTLE_BY - $(now_s)))', 'left=$SETTLE_BY'],
  ['[ "$left" -gt 0 ] || left=1', 'true'],
  ['&& list_failed && [ ! -s "$FAILED.bad" ]; do', '&& list_failed; do'],
  ['2>"$ERR" || { fail systemd-notify; code=1; }', '2>"$ERR"'],
  ["{ fail 'systemctl list-units'; return 1; }", '{ return 1; }'],
  ['  emit_lines masked <"$FAILED.masked"\n', ''],
  ['systemctl exit "$code" || systemctl poweroff', 'systemctl exit 0 || systemctl poweroff'],
  ['if [ "$unit" = \'●\' ]; then unit=$load; load=\\${rest%% *}; rest=\\${rest#* }; fi', ':'],
  ['    emit_lines job <"$REPORT.jobs"', '    :'],
  [
    'if [ "$JOURNAL" = always ] || { [ "$JOURNAL" = on-failure ] && [ "$code" != 0 ]; }; then',
    'if [ "$JOURNAL" = always ]; then',
  ],
  ['"$MESSAGE_KEY=$NONCE exit=$code', '"$MESSAGE_KEY=$NONCE exit=0'],
  ['emit exit "$code"', 'emit exit 0'],
  ['  emit error "$1 failed: \\${message% }"', '  :'],
  ['    fail journalctl\n    code=1', '    code=1'],
  ['emit_lines failed <"$FAILED"', ':'],
  ['[ -n "$unit" ] || continue', ':'],
  ['head -n 10 "$REPORT.blame"', 'cat "$REPORT.blame"'],
  ['emit watched $(($(now_s) - from))', 'emit watched 0'],
];
let killed = 0;
for (const [from, to] of mutants) {
  if (!original.includes(from)) {
    console.log(`NOT FOUND (the script changed: update this list): ${from}`);
    continue;
  }
  writeFileSync(file, original.replace(from, to));
  const run = spawnSync('npx', ['vitest', 'run', 'test/unit/boot-check-script.test.ts'], {
    cwd: dir,
    encoding: 'utf8',
  });
  const dead = run.status !== 0;
  if (dead) killed++;
  console.log(`${dead ? 'killed  ' : 'SURVIVED'} ${JSON.stringify(from).slice(0, 90)}`);
}
writeFileSync(file, original);
const base = spawnSync('npx', ['vitest', 'run', 'test/unit/boot-check-script.test.ts'], {
  cwd: dir,
  encoding: 'utf8',
});
console.log(
  `unmutated run: ${base.status === 0 ? 'passes' : 'FAILS'}; ${killed}/${mutants.length} shell mutants killed`,
);
rmSync(dir, { recursive: true, force: true });
process.exitCode = base.status === 0 && killed === mutants.length ? 0 : 1;
