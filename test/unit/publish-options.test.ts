import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import { defaultInputs, Input, type RawInputs } from '../../src/pipeline/inputs.js';
import { parseOptions, parseRelease } from '../../src/pipeline/options.js';
import { releaseTag, shouldUpload } from '../../src/pipeline/publish.js';

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
      githubToken: 'ghs_123',
    });
  });

  it.each([
    [Input.Upload, 'sometimes', /Input upload: 'sometimes' is not valid; expected auto, yes or no/],
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
    expect(shouldUpload('auto', { event: 'push', tag: undefined })).toBe(true);
    expect(shouldUpload('auto', { event: 'release', tag: 'v1' })).toBe(true);
    expect(shouldUpload('auto', { event: 'pull_request', tag: undefined })).toBe(false);
    expect(shouldUpload('auto', { event: 'schedule', tag: undefined })).toBe(false);
    expect(shouldUpload('auto', { event: undefined, tag: undefined })).toBe(false);
    expect(shouldUpload('yes', { event: 'pull_request', tag: undefined })).toBe(true);
    expect(shouldUpload('no', { event: 'push', tag: 'v1' })).toBe(false);
  });

  it('releases the tag of the run for release: true, and says so when there is none', () => {
    expect(releaseTag(options({ [Input.Release]: 'true' }), { event: 'push', tag: 'v3' })).toEqual({
      tag: 'v3',
    });
    expect(releaseTag(options({ [Input.Release]: 'true' }), { event: 'push', tag: undefined })).toEqual({
      note: 'release: true, but this run is not for a tag: no release.',
    });
    expect(
      releaseTag(options({ [Input.Release]: 'nightly' }), { event: 'schedule', tag: undefined }),
    ).toEqual({
      tag: 'nightly',
    });
    expect(releaseTag(options({}), { event: 'push', tag: 'v3' })).toEqual({});
  });
});
