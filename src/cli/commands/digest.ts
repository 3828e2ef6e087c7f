import type { Command } from '../command.ts';
import { imageFlags, imageOf, withSource } from './copy.ts';

export const digestCommand: Command = {
  name: 'digest',
  summary: 'Print the digest of an image or index (registry reference or oci-layout:PATH[:TAG])',
  args: 'REF',
  flags: imageFlags,
  async run(args) {
    const digest = await withSource(args, 'digest', async (source, name) => {
      // An index has a digest of its own; --platform asks for one of its images instead.
      if (source.kind === 'index' && !args.flags.platform) return source.index.digest();
      return (await imageOf(source, args, name)).digest();
    });
    process.stdout.write(`${digest}\n`);
    return 0;
  },
};
