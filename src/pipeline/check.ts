import { checkBootPrerequisites } from '../boot/boot-prerequisites.js';
import { checkUpdatePrerequisites } from '../boot/update-prerequisites.js';
import { checkSigningKey } from '../publish/check-signing-key.js';
import { checkPublishPrerequisites } from '../publish/prerequisites.js';
import { checkDiffoscopePrerequisites } from '../repro/diffoscope-prerequisites.js';
import { bootDecisionOf, bootOptions } from './boot.js';
import type { Stage } from './stage.js';

/**
 * Everything about the inputs that can be judged once the configuration is resolved, judged before
 * the build: a format that cannot boot with `boot: true`, what the boot needs (firmware, qemu, vsock),
 * diffoscope for `diffoscope: yes`, what uploads and releases need, and whether the signing key can sign
 * with the passphrase given. A mistake here costs seconds, not a build.
 */
export const checkStage: Stage = {
  name: 'check',
  title: 'check the inputs',
  runs: () => true,
  async run(state) {
    const { ctx, command, options, resolved } = state;
    if (bootDecisionOf(state).boot) {
      await checkBootPrerequisites(ctx.runner, bootOptions(state), resolved!.config);
    }
    await checkUpdatePrerequisites(options.boot, resolved!.config, {
      command,
      signKey: options.publish.signKey,
    });
    if (command === 'boot') return;
    await checkDiffoscopePrerequisites(ctx.runner, options.repro, options.toolsTree, resolved!.config);
    checkPublishPrerequisites(ctx, options.publish, resolved!.config, options.profiles);
    const fingerprint = await checkSigningKey(ctx, options.publish);
    if (fingerprint) ctx.log.info(`sign-key: ${fingerprint} can sign`);
  },
};
