import { installMkosi, type Mkosi } from '../mkosi/install.js';
import { prepareHost } from '../mkosi/host-preparation.js';
import { assertProject, assertToolsTree } from '../mkosi/project.js';
import type { Stage } from './stage.js';

export interface SetupResult {
  mkosi: Mkosi;
  hostPrepared: boolean;
}

/** The project is an mkosi project (said before anything is installed), the host is ready, mkosi is there. */
export const setupStage: Stage = {
  name: 'setup',
  title: 'install mkosi',
  runs: () => true,
  async run({ ctx, options, result }) {
    await assertProject(options.directory);
    await assertToolsTree(options.toolsTree);
    const hostPrepared = await prepareHost(ctx, options.prepareHost);
    const mkosi = await installMkosi({ ...ctx, root: ctx.host.root }, options);
    result.setup = { mkosi, hostPrepared };
  },
};
