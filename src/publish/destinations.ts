import type { Trigger } from '../context.js';
import type { Tristate } from '../input-parsing.js';
import { Input } from '../inputs.js';
import type { PublishOptions } from './options.js';

/** Whether the image set goes up as a workflow artifact: `auto` follows the adapter's judgement of the run. */
export function shouldUpload(upload: Tristate, trigger: Trigger): boolean {
  if (upload === 'auto') return trigger.uploadByDefault;
  return upload === 'yes';
}

/** The tag whose release gets the assets, or why there is none. */
export function releaseTag(options: PublishOptions, trigger: Trigger): { tag?: string; note?: string } {
  switch (options.release.kind) {
    case 'none':
      return {};
    case 'tag':
      return { tag: options.release.tag };
    case 'current-tag':
      return trigger.tag
        ? { tag: trigger.tag }
        : { note: `${Input.Release}: true, but this run is not for a tag: no release.` };
  }
}
