import type { Command } from '../command.ts';
import { imageFlags, imageOf, withSource } from './copy.ts';

export const configCommand: Command = {
  name: 'config',
  summary: "Print an image's config JSON (from an index: the image for --platform, default this machine's)",
  args: 'REF',
  flags: imageFlags,
  async run(args) {
    const bytes = await withSource(args, 'config', async (source, name) => (await imageOf(source, args, name)).rawConfig());
    process.stdout.write(bytes);
    return 0;
  },
};
