import { isTar, listTar } from '../archives.js';
import { verdictOf } from '../comparison.js';
import { diffManifests } from '../manifest.js';
import type { ContentComparer } from './kind.js';

/** A tar archive: its members listed (streamed, hashed) and compared by manifest. */
export const tarContent: ContentComparer = {
  kind: 'tar',
  node: 'tar',
  detect: isTar,
  async compare(narrowing, pair, place) {
    const [ma, mb] = await Promise.all([listTar(pair.a), listTar(pair.b)]);
    const diff = diffManifests(ma, mb, { ignore: narrowing.ignore() });
    await narrowing.recordDiff(diff, place.location);
    return { kind: 'tar', name: place.name, verdict: verdictOf(diff), counts: diff.counts, children: [] };
  },
};
