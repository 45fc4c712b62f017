import { ConfigurationError } from '../errors.js';
import { Input } from '../inputs.js';
import { checkArtifactNameFields } from './artifact-name.js';
import {
  invalid,
  parseInteger,
  parseTristate,
  secret,
  type InputReader,
  type Tristate,
} from '../input-parsing.js';

/** Which release, if any, gets the outputs as assets. */
export type ReleaseChoice = { kind: 'none' } | { kind: 'current-tag' } | { kind: 'tag'; tag: string };

/** The publishing inputs, parsed. */
export interface PublishOptions {
  /** The armored private key; undefined: SHA256SUMS is written but not signed. */
  signKey: string | undefined;
  signPassphrase: string | undefined;
  upload: Tristate;
  artifactName: string;
  retentionDays: number | undefined;
  release: ReleaseChoice;
}

export function parseRelease(value: string): ReleaseChoice {
  const release = value.trim();
  if (release === '' || release === 'false' || release === 'no') return { kind: 'none' };
  if (release === 'true' || release === 'yes') return { kind: 'current-tag' };
  // git check-ref-format's rules, as far as a tag name given in a workflow can break them.
  if (
    /^[^\s~^:?*[\\]+$/.test(release) &&
    !release.startsWith('-') &&
    !release.startsWith('/') &&
    !release.endsWith('/') &&
    !release.endsWith('.') &&
    !release.endsWith('.lock') &&
    !release.includes('..') &&
    !release.includes('@{') &&
    !release.includes('//')
  ) {
    return { kind: 'tag', tag: release.replace(/^refs\/tags\//, '') };
  }
  throw invalid(
    Input.Release,
    release,
    'false, true (the tag the workflow runs for) or a tag name such as v1.2',
  );
}

export function parseArtifactName(value: string): string {
  const name = value.trim();
  // What the artifact service refuses in a name; the template's {fields} are checked again once filled.
  if (/[":<>|*?\r\n\\/]/.test(name)) {
    throw invalid(Input.ArtifactName, name, 'a name without " : < > | * ? \\ / or line breaks');
  }
  checkArtifactNameFields(name);
  return name;
}

/**
 * A passphrase without its key is a key that went missing (a misnamed or unset secret): refused, rather
 * than publishing unsigned outputs.
 */
function signingSecrets(raw: InputReader['raw']): Pick<PublishOptions, 'signKey' | 'signPassphrase'> {
  const signKey = secret(raw(Input.SignKey).trim());
  // A passphrase may legitimately start or end with spaces: taken as given.
  const signPassphrase = secret(raw(Input.SignPassphrase));
  if (signPassphrase !== undefined && signKey === undefined) {
    throw new ConfigurationError(
      `Input ${Input.SignPassphrase}: given without ${Input.SignKey}; give the key too (the CLI reads it from --sign-key-file) or leave the passphrase out.`,
    );
  }
  return { signKey, signPassphrase };
}

export function parsePublishOptions({ value, raw }: InputReader): PublishOptions {
  const retention = raw(Input.RetentionDays).trim();
  return {
    ...signingSecrets(raw),
    upload: parseTristate(Input.Upload, value(Input.Upload)),
    artifactName: parseArtifactName(value(Input.ArtifactName)),
    retentionDays: retention === '' ? undefined : parseInteger(Input.RetentionDays, retention, 1, 90, 'days'),
    release: parseRelease(raw(Input.Release)),
  };
}
