import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/errors.js';
import { defaultInputs, Input, type RawInputs } from '../../../src/inputs.js';
import { trigger } from '../../../src/github/events.js';
import { githubToken } from '../../../src/github/inputs.js';
import { parseOptions } from '../../../src/pipeline/options.js';
import { releaseTag, shouldUpload } from '../../../src/publish/destinations.js';
import { parseRelease } from '../../../src/publish/options.js';

const inputs = (overrides: Partial<RawInputs>): RawInputs => ({ ...defaultInputs(), ...overrides });
const publish = (overrides: Partial<RawInputs>) => parseOptions(inputs(overrides), '/src').publish;

describe('publish inputs', () => {
  it('reads the signing key, passphrase (spaces kept), upload, name, retention, release and token', () => {
    expect(
      publish({
        [Input.SignKey]:
          '\n-----BEGIN PGP PRIVATE KEY BLOCK-----\nabc\n-----END PGP PRIVATE KEY BLOCK-----\n',
        [Input.SignPassphrase]: ' two words ',
        [Input.Upload]: 'true',
        [Input.ArtifactName]: ' {image}-{version} ',
        [Input.RetentionDays]: '14',
        [Input.Release]: 'v1.2',
        [Input.GithubToken]: 'ghs_123',
      }),
    ).toEqual({
      signKey: '-----BEGIN PGP PRIVATE KEY BLOCK-----\nabc\n-----END PGP PRIVATE KEY BLOCK-----',
      signPassphrase: ' two words ',
      upload: 'yes',
      artifactName: '{image}-{version}',
      retentionDays: 14,
      release: { kind: 'tag', tag: 'v1.2' },
    });
    expect(githubToken(inputs({ [Input.GithubToken]: 'ghs_123' }))).toBe('ghs_123');
  });

  it.each([
    [Input.Upload, 'sometimes', /Input upload: 'sometimes' is not valid; expected auto, true or false/],
    [
      Input.RetentionDays,
      '91',
      /Input retention-days: '91' is not valid; expected a whole number of days from 1 to 90/,
    ],
    [Input.RetentionDays, '0', /retention-days/],
    [Input.ArtifactName, 'images/{image}', /Input artifact-name: 'images\/\{image\}' is not valid/],
    [Input.Release, 'v1 2', /Input release: 'v1 2' is not valid; expected false, true .* or a tag name/],
    [Input.Release, 'v1..2', /Input release/],
    [Input.Release, 'v1.lock', /Input release/],
  ])('refuses %s=%j naming the input', (input, value, message) => {
    expect(() => publish({ [input]: value })).toThrow(ConfigurationError);
    expect(() => publish({ [input]: value })).toThrow(message);
  });

  it('refuses a passphrase without its key, rather than leaving the outputs unsigned', () => {
    expect(() => publish({ [Input.SignPassphrase]: 'pass' })).toThrow(
      /^Input sign-passphrase: given without sign-key; give the key too/,
    );
    // Both unset (a fork's pull request has no secrets) is simply unsigned.
    expect(publish({ [Input.SignKey]: ' \n', [Input.SignPassphrase]: '' })).toMatchObject({
      signKey: undefined,
      signPassphrase: undefined,
    });
  });

  it('reads release as off, the tag the run is for, or a named tag', () => {
    expect(parseRelease('')).toEqual({ kind: 'none' });
    expect(parseRelease('false')).toEqual({ kind: 'none' });
    expect(parseRelease('true')).toEqual({ kind: 'current-tag' });
    expect(parseRelease('refs/tags/v2')).toEqual({ kind: 'tag', tag: 'v2' });
    expect(parseRelease('images/2026.11')).toEqual({ kind: 'tag', tag: 'images/2026.11' });
  });
});

describe('what gets published where', () => {
  const options = (overrides: Partial<RawInputs>) => publish(overrides);

  it('uploads by default on pushes (branches and tags) and releases, not on pull requests or schedules', () => {
    expect(shouldUpload('auto', trigger({ GITHUB_EVENT_NAME: 'push' }))).toBe(true);
    expect(shouldUpload('auto', trigger({ GITHUB_EVENT_NAME: 'release', GITHUB_REF: 'refs/tags/v1' }))).toBe(
      true,
    );
    expect(shouldUpload('auto', trigger({ GITHUB_EVENT_NAME: 'pull_request' }))).toBe(false);
    expect(shouldUpload('auto', trigger({ GITHUB_EVENT_NAME: 'schedule' }))).toBe(false);
    expect(shouldUpload('auto', trigger({}))).toBe(false);
    expect(shouldUpload('yes', trigger({ GITHUB_EVENT_NAME: 'pull_request' }))).toBe(true);
    expect(shouldUpload('no', trigger({ GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/tags/v1' }))).toBe(
      false,
    );
  });

  it('releases the tag of the run for release: true, and says so when there is none', () => {
    expect(
      releaseTag(
        options({ [Input.Release]: 'true' }),
        trigger({ GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/tags/v3' }),
      ),
    ).toEqual({
      tag: 'v3',
    });
    expect(releaseTag(options({ [Input.Release]: 'true' }), trigger({ GITHUB_EVENT_NAME: 'push' }))).toEqual({
      note: 'release: true, but this run is not for a tag: no release.',
    });
    expect(
      releaseTag(options({ [Input.Release]: 'nightly' }), trigger({ GITHUB_EVENT_NAME: 'schedule' })),
    ).toEqual({
      tag: 'nightly',
    });
    expect(
      releaseTag(options({}), trigger({ GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/tags/v3' })),
    ).toEqual({});
  });
});

describe('inputs judged before anything is built', () => {
  it('refuses an artifact-name field there is none of, naming the valid ones', () => {
    expect(() => publish({ [Input.ArtifactName]: '{image}-{colour}' })).toThrow(
      /Input artifact-name: unknown field \{colour\}; valid: \{image\}, \{version\}/,
    );
    expect(publish({ [Input.ArtifactName]: '{image}_{version}' }).artifactName).toBe('{image}_{version}');
  });
});
