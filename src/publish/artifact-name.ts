import { ConfigurationError } from '../errors.js';
import { Input } from '../inputs.js';
import type { MkosiConfig } from '../mkosi/config.js';

/** What an artifact-name template may name, taken from the main image's configuration. */
export interface ArtifactNameFields {
  image: string;
  version: string;
  distribution: string;
  release: string;
  architecture: string;
  profiles: string;
}

const FIELD_NAMES: readonly (keyof ArtifactNameFields)[] = [
  'image',
  'version',
  'distribution',
  'release',
  'architecture',
  'profiles',
];

/** Characters the artifact service refuses in names. */
const FORBIDDEN = /[":<>|*?\r\n\\/]/g;

const FIELD_LIST = FIELD_NAMES.map((f) => `{${f}}`).join(', ');

/** Refuses a template that names a field there is none of, or has a stray brace, before anything is built. */
export function checkArtifactNameFields(template: string): void {
  for (const [, field] of template.matchAll(/\{([^{}]*)\}/g)) {
    if (!(FIELD_NAMES as readonly string[]).includes(field!)) {
      throw new ConfigurationError(
        `Input ${Input.ArtifactName}: unknown field {${field}}; valid: ${FIELD_LIST}.`,
      );
    }
  }
  const stray = /[{}]/.exec(template.replace(/\{[^{}]*\}/g, ''))?.[0];
  if (stray) {
    const [has, lacks] = stray === '{' ? ['{', '}'] : ['}', '{'];
    throw new ConfigurationError(
      `Input ${Input.ArtifactName}: '${template}' has a ${has} without its ${lacks}; fields are written ${FIELD_LIST}.`,
    );
  }
}

/**
 * Fills `{field}`s in. A field that is empty also takes the separator before it with it, so
 * `{image}-{version}` gives `image` rather than `image-` for an image without a version.
 */
export function renderArtifactName(template: string, fields: ArtifactNameFields): string {
  checkArtifactNameFields(template);
  const name = template.replace(/([-_.]?)\{([^{}]*)\}/g, (_, separator: string, field: string) => {
    const value = fields[field as keyof ArtifactNameFields].replace(FORBIDDEN, '-');
    return value === '' ? '' : separator + value;
  });
  if (name.trim() === '') {
    throw new ConfigurationError(
      `Input ${Input.ArtifactName}: '${template}' gives an empty name for this image; add text or a field that is set, such as {image}.`,
    );
  }
  return name.trim();
}

/** The fields of an artifact name, from the main image's configuration and the profiles of the run. */
export function artifactNameFields(config: MkosiConfig, profiles: readonly string[]): ArtifactNameFields {
  const main = config.main;
  return {
    image: main.imageId ?? main.output,
    version: main.imageVersion ?? '',
    distribution: main.distribution,
    release: main.release,
    architecture: main.architecture,
    profiles: profiles.join('+'),
  };
}
