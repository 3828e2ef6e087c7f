import type { Command } from '../command.ts';
import { imageFlags, imageOf, withSource } from './copy.ts';

export const manifestCommand: Command = {
  name: 'manifest',
  summary: 'Print the raw manifest (or index) of an image, byte for byte',
  args: 'REF',
  flags: imageFlags,
  async run(args) {
    const bytes = await withSource(args, 'manifest', async (source, name) => {
      if (source.kind === 'index' && !args.flags.platform) return source.index.rawManifest();
      return (await imageOf(source, args, name)).rawManifest();
    });
    process.stdout.write(bytes);
    return 0;
  },
};
