import { describe, expect, it } from 'vitest';
import { CommandFence } from '../../../src/github/command-fence.js';
import { obeyedCommands } from '../../support/workflow-commands.js';

function fenced() {
  const written: string[] = [];
  const fence = new CommandFence((d) => void written.push(d.toString()), 'f00d');
  return { fence, text: () => written.join('') };
}

describe('CommandFence', () => {
  it('puts child output between ::stop-commands::<token> and ::<token>::, each on a line of its own', () => {
    const { fence, text } = fenced();
    fence.output(Buffer.from('building\n::add-mask::nothing'));
    fence.output(Buffer.from(' here\n::set-output name=image::/evil\n::error::fake'));
    fence.lift();
    fence.lift();
    expect(text()).toBe(
      '::stop-commands::f00d\nbuilding\n::add-mask::nothing here\n::set-output name=image::/evil\n::error::fake\n::f00d::\n',
    );
    expect(obeyedCommands(text())).toEqual([]);
  });

  it("mkosi-ci's own commands between two children are obeyed, the children's are not", () => {
    const written: string[] = [];
    const write = (d: string | Buffer): void => void written.push(d.toString());
    const fence = new CommandFence(write, 'f00d');
    fence.output(Buffer.from('::warning::from a build script\n'));
    fence.lift();
    write('::group::Boot\n');
    fence.output(Buffer.from('::endgroup::\nno newline at the end'));
    fence.lift();
    write('::endgroup::\n');
    expect(obeyedCommands(written.join(''))).toEqual([
      { command: 'group', data: 'Boot' },
      { command: 'endgroup', data: '' },
    ]);
  });

  it('a random token per fence, which no child sees', () => {
    const a = new CommandFence(() => undefined);
    const b = new CommandFence(() => undefined);
    expect((a as unknown as { token: string }).token).toMatch(/^[0-9a-f]{32}$/);
    expect((a as unknown as { token: string }).token).not.toBe((b as unknown as { token: string }).token);
  });
});
