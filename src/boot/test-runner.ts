import type { BootTest } from './boot-tests.js';
import { RESULT_FILE_BYTES } from './result-files.js';

/**
 * The guest side of `boot-test`: shell functions the check script (check-unit.ts) calls once the boot
 * settled and no unit failed. Each test is copied out of its credential (credentials are not
 * executable), run from its own results directory with a timeout, and reported as
 *
 *   test NAME STATUS SECONDS       STATUS: the exit status, or `timeout`
 *   test-bytes NAME BYTES          how much the test printed
 *   test-output:NAME LINE          the last TEST_OUTPUT_BYTES of it, one report line per line
 *   test-file:NAME:FILE LINE       a JUnit XML or TAP file it left in its results directory
 *
 * Over vsock the check's message carries `tests=NAME:STATUS,…`, and each failing test a message of its
 * own, `X_MKOSI_CI_TEST_N=<nonce> NAME STATUS <base64 of its last lines>` (N counts from 1: systemd-notify
 * merges its arguments like environment variables, so a repeated key would keep only the last), so a
 * lost serial report still names what failed and why.
 */

/** A test's credential: `mkosi-ci.test.NAME`. */
export const TEST_CREDENTIAL_PREFIX = 'mkosi-ci.test.';
export const TEST_MESSAGE_KEY = 'X_MKOSI_CI_TEST';
/** How much of a test's output the report carries (the end of it). */
export const TEST_OUTPUT_BYTES = 64 * 1024;
/** How much of a failing test's output its vsock message carries. */
export const TEST_TAIL_LINES = 10;
export const TEST_TAIL_BYTES = 1024;
/** The host as the guest sees it on qemu's user network. */
export const USER_NETWORK_HOST = '10.0.2.2';

export function testCredentialName(name: string): string {
  return `${TEST_CREDENTIAL_PREFIX}${name}`;
}

export function testCredentials(tests: readonly BootTest[]): { name: string; value: Buffer }[] {
  return tests.map((t) => ({ name: testCredentialName(t.name), value: t.content }));
}

/** The shell functions; they use the check script's DIR, ERR, NONCE, emit, emit_lines, fail and now_s. */
export const TEST_RUNNER = `# boot-test: see test-runner.ts.
tests_failed=
test_statuses=
os_release_value() {
  sed -n "s/^$1=//p" "$OS_RELEASE" 2>/dev/null | head -n 1 | sed "s/^[\\"']//; s/[\\"']\\$//"
}
run_test() {
  name=$1
  bin=$DIR/tests/$name
  out=$DIR/tests/$name.out
  results=$DIR/test-results/$name
  if ! { mkdir -p "$results" && cp -- "\${CREDENTIALS_DIRECTORY:-}/${TEST_CREDENTIAL_PREFIX}$name" "$bin" &&
    chmod 0700 "$bin"; } 2>"$ERR"; then
    fail "preparing test $name"
    return
  fi
  from=$(now_s)
  # The check's credentials (the nonce) are not offered to the test; it runs as root, so this keeps an
  # honest test off them, no more: tests are trusted like the image itself.
  (cd "$results" && exec env -u CREDENTIALS_DIRECTORY MKOSI_CI_TEST_NAME="$name" \\
    MKOSI_CI_TEST_RESULTS="$results" timeout -k 5 "$TEST_TIMEOUT" "$bin") </dev/null >"$out" 2>&1
  status=$?
  took=$(($(now_s) - from))
  # timeout(1) exits 124 when it stopped the test (137 when it had to kill it); a test may exit 124 by
  # itself, so only one that also used its whole time counts as timed out.
  case $status in 124 | 137) [ "$took" -lt "$TEST_TIMEOUT" ] || status=timeout ;; esac
  emit test "$name $status $took"
  emit test-bytes "$name $(($(wc -c <"$out")))"
  tail -c ${TEST_OUTPUT_BYTES} "$out" | emit_lines "test-output:$name"
  # Result files the test left (JUnit XML, TAP): the start of each, for the summary (result-files.ts).
  find "$results" -maxdepth 1 -type f \\( -name '*.xml' -o -name '*.tap' \\) 2>/dev/null | sort |
    while IFS= read -r file; do
      base=\${file##*/}
      case $base in [!A-Za-z0-9]* | *[!A-Za-z0-9._-]*) continue ;; esac
      head -c ${RESULT_FILE_BYTES} "$file" | emit_lines "test-file:$name:$base"
    done
  test_statuses=\${test_statuses:+$test_statuses,}$name:$status
  case $status in 0 | 77) ;; *) tests_failed="$tests_failed $name:$status" ;; esac
}
run_tests() {
  mkdir -p "$DIR/tests" "$DIR/test-results"
  MKOSI_CI_IMAGE_ID=$(os_release_value IMAGE_ID)
  MKOSI_CI_IMAGE_VERSION=$(os_release_value IMAGE_VERSION)
  MKOSI_CI_HOST=${USER_NETWORK_HOST}
  export MKOSI_CI_IMAGE_ID MKOSI_CI_IMAGE_VERSION MKOSI_CI_HOST
  for name in $TESTS; do run_test "$name"; done
}
# The end of a failing test's output, for its vsock message.
test_tail() {
  tail -n ${TEST_TAIL_LINES} "$DIR/tests/$1.out" | tail -c ${TEST_TAIL_BYTES} | base64 -w 0
}
`;
