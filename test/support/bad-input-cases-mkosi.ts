import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NOT_A_PROJECT, type BadInputCase } from './bad-input.js';
import { makeMkosiCheckout } from './mkosi-tarball.js';
import { REPO } from './paths.js';

/** The host's own directories, without /usr/local/bin (where this machine keeps mkosi and vhost-device-vsock). */
export const HOST_PATH = '/usr/bin:/bin';

/** A reason to skip a case that needs `program` absent from HOST_PATH, when it is there. */
export function skipWhenOnHostPath(program: string): string | undefined {
  const found = HOST_PATH.split(':').some((dir) => existsSync(path.join(dir, program)));
  return found ? `${program} is in ${HOST_PATH} on this machine` : undefined;
}

/** An mkosi checkout of a version mkosi-ci no longer supports. */
function oldMkosiCheckout(): string {
  return makeMkosiCheckout('25.3', mkdtempSync(path.join(os.tmpdir(), 'mkosi-25.3-')));
}

/**
 * Bad values of the inputs that say which mkosi runs on which project, judged before mkosi resolves
 * anything. `files` is the test's HTTP server (release tarballs).
 */
export function mkosiInputCases(files: { url: () => string }): BadInputCase[] {
  return [
    {
      name: 'directory that does not exist',
      inputs: { directory: '/nonexistent/project' },
      error: /Input directory: \/nonexistent\/project is not a directory/,
    },
    {
      name: 'directory that is a file',
      inputs: { directory: path.join(REPO, 'package.json') },
      error: /Input directory: .*package\.json is not a directory/,
    },
    {
      name: 'directory without mkosi configuration',
      inputs: { directory: NOT_A_PROJECT },
      error:
        /Input directory: .* has no mkosi configuration \(expected mkosi\.conf, mkosi\.conf\.d, mkosi\.images\)/,
    },
    {
      name: 'mkosi-version that is no tag or commit',
      inputs: { 'mkosi-version': 'latest' },
      error:
        /Input mkosi-version: 'latest' is not valid; expected a release tag such as v27\.1 or a full 40-character commit hash/,
    },
    {
      name: 'mkosi-version with a shell command in it',
      inputs: { 'mkosi-version': 'v27.1; rm -rf ~' },
      error: /Input mkosi-version: 'v27\.1; rm -rf ~' is not valid; expected a release tag/,
    },
    {
      name: 'unknown mkosi-source',
      inputs: { 'mkosi-source': 'pip' },
      error: /Input mkosi-source: 'pip' is not valid; expected auto\|release\|system\|apt\|PATH/,
    },
    {
      name: 'mkosi-source path that is no mkosi checkout',
      inputs: { 'mkosi-source': '/nonexistent/mkosi' },
      error: /Input mkosi-source: \/nonexistent\/mkosi is not an mkosi checkout \(no executable bin\/mkosi\)/,
    },
    {
      name: 'mkosi-release-url that is not http(s)',
      inputs: { 'mkosi-release-url': 'ftp://example.org/{ref}.tar.gz' },
      error:
        /Input mkosi-release-url: 'ftp:\/\/example\.org\/\{ref\}\.tar\.gz' is not valid; expected an http\(s\) URL containing \{ref\}/,
    },
    {
      name: 'mkosi-release-url without {ref}',
      inputs: { 'mkosi-release-url': 'https://example.org/mkosi.tar.gz' },
      error: /Input mkosi-release-url: .* expected an http\(s\) URL containing \{ref\}/,
    },
    {
      name: 'mkosi-sha256 that is no sha256',
      inputs: { 'mkosi-sha256': 'abc123' },
      error: /Input mkosi-sha256: 'abc123' is not valid; expected a 64-character hexadecimal sha256/,
    },
    {
      name: 'unknown prepare-host',
      inputs: { 'prepare-host': 'sometimes' },
      error: /Input prepare-host: 'sometimes' is not valid; expected auto, yes or no/,
    },
    {
      name: 'profile name with a slash',
      inputs: { profiles: 'debug/extra' },
      error: /Input profiles: 'debug\/extra' is not valid; expected profile names of letters, digits/,
    },
    {
      name: 'environment line that is no KEY=VALUE',
      inputs: { environment: 'GOOD=1\nBAD LINE' },
      error: /Input environment: line 2 'BAD LINE' is not KEY=VALUE/,
    },
    {
      name: 'environment key starting with a digit',
      inputs: { environment: '1ST=x' },
      error:
        /Input environment: line 1 '1ST=x' is not KEY=VALUE \(KEY of letters, digits and _, not starting with a digit\)/,
    },
    {
      name: 'args with a verb',
      inputs: { args: 'build' },
      error: /Input args: 'build' is not valid; expected mkosi options starting with -/,
    },
    {
      name: 'args naming another project',
      inputs: { args: '--image-version=1\n--directory=/tmp' },
      error: /Input args: '--directory=\/tmp' is not taken here: the project is the directory input/,
    },
    {
      name: 'args ending the options',
      inputs: { args: '--' },
      error: /Input args: '--' is not taken here: the verb and its arguments are chosen by mkosi-ci/,
    },
    {
      name: 'mirror without a scheme',
      inputs: { mirror: 'deb.example.org/debian' },
      error:
        /Input mirror: 'deb\.example\.org\/debian' is not valid; expected an http:\/\/, https:\/\/ or file:\/\/ URL/,
    },
    {
      name: 'tools-tree that is no choice and no path',
      inputs: { 'tools-tree': 'yes' },
      error: /Input tools-tree: 'yes' is not valid; expected default, none or a path to a tools tree/,
    },
    {
      name: 'tools-tree path that does not exist',
      inputs: { 'tools-tree': '/nonexistent/tools' },
      error:
        /Input tools-tree: \/nonexistent\/tools does not exist; give default, none or the path of a prepared tools tree/,
    },
    {
      name: 'tools-tree path that is a file',
      inputs: { 'tools-tree': path.join(REPO, 'package.json') },
      error:
        /Input tools-tree: .*package\.json is not a directory; give default, none or the path of a prepared tools tree/,
    },
    {
      name: 'force out of range',
      inputs: { force: '4' },
      error: /Input force: '4' is not valid; expected a number from 0 to 3/,
    },
    {
      name: 'mkosi-source system with no mkosi on PATH',
      inputs: { 'mkosi-source': 'system' },
      env: { PATH: HOST_PATH },
      withoutMkosiOnPath: true,
      error:
        /Input mkosi-source: system: there is no mkosi on PATH; install it first or use release, apt or a path to a checkout/,
      skip: skipWhenOnHostPath('mkosi'),
    },
    {
      name: 'mkosi-source checkout of an mkosi older than 26',
      inputs: () => ({ 'mkosi-source': oldMkosiCheckout() }),
      error:
        /Input mkosi-source: mkosi 25\.3 \(checkout .*\) is older than 26, the oldest mkosi-ci supports; use mkosi-source: release with mkosi-version v26 or newer/,
    },
    {
      // A 404 (a refused connection is retried by the action's downloader for half a minute).
      name: 'mkosi-release-url where there is no tarball',
      inputs: () => ({
        'mkosi-source': 'release',
        'mkosi-release-url': `${files.url()}/no-such-mirror/{ref}.tar.gz`,
      }),
      error:
        /Input mkosi-release-url: could not download http:\/\/127\.0\.0\.1:\d+\/no-such-mirror\/refs\/tags\/v27\.1\.tar\.gz \(.*404.*\); check that .*\/no-such-mirror\/\{ref\}\.tar\.gz serves mkosi's source tarballs/,
    },
  ];
}
