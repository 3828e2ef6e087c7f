// `kiln warm`: kaniko's warmer (gcr.io/kaniko-project/warmer). Downloads base images into the
// --cache-dir that `kiln build --cache-dir` reads, so builds start without pulling them.
import type { Command } from '../command.ts';
import type { FlagSpec } from '../flags.ts';
import { imageFlags, clientFromFlags } from './copy.ts';
import { DEFAULT_CACHE_DIR, warmImage } from '../../image/base-cache.ts';
import { parsePlatform } from '../../oci/platform.ts';
import { parseReference } from '../../registry/reference.ts';
import { BuilderError, describeError, isBuilderError } from '../../util/errors.ts';
import { log } from '../../util/log.ts';

// The warmer's own flags, with its names and short forms; transport flags as in `kiln copy`.
const warmFlags: FlagSpec[] = [
  { name: 'image', aliases: ['i'], type: 'list', value: 'REF', help: 'image to cache (repeatable)' },
  { name: 'cache-dir', aliases: ['c'], type: 'string', default: DEFAULT_CACHE_DIR, value: 'DIR', help: 'directory of the base-image cache' },
  { name: 'force', aliases: ['f'], type: 'bool', default: false, help: 'download and verify images again even when they are cached' },
  { name: 'custom-platform', aliases: ['customPlatform', 'platform'], type: 'string', value: 'OS/ARCH[/VARIANT]', help: "the image of this platform out of an index (default: the host's)" },
  ...imageFlags.filter((f) => f.name !== 'platform'),
];

export const warmCommand: Command = {
  name: 'warm',
  summary: 'Download base images into the --cache-dir that kiln build reads (kaniko\'s warmer)',
  flags: warmFlags,
  async run(args) {
    if (args.positionals.length > 0) throw new BuilderError('USAGE', `kiln warm takes images as --image REF, not arguments: ${args.positionals.join(' ')}`);
    const texts = args.flags.image as string[];
    if (texts.length === 0) throw new BuilderError('USAGE', 'kiln warm needs at least one --image');
    // Every name is checked before anything is downloaded.
    const refs = texts.map(parseReference);
    const platformText = args.flags['custom-platform'] as string | undefined;
    const platform = platformText ? parsePlatform(platformText) : undefined;
    const cacheDir = args.flags['cache-dir'] as string;
    const force = args.flags.force as boolean;

    const client = clientFromFlags(args);
    const failures: unknown[] = [];
    try {
      // One image failing does not stop the others.
      for (const ref of refs) {
        try {
          const { digest } = await warmImage(client, ref, cacheDir, { platform, force });
          process.stdout.write(`${digest} ${ref}\n`);
        } catch (err) {
          failures.push(err);
          if (refs.length > 1) log.warn(`could not warm ${ref}: ${describeError(err)}`);
        }
      }
    } finally {
      await client.close();
    }
    if (failures.length === refs.length) {
      const first = failures[0];
      if (refs.length === 1 && isBuilderError(first)) throw first;
      throw new BuilderError(isBuilderError(first) ? first.code : 'INTERNAL', `none of the ${refs.length} images could be warmed; the first: ${describeError(first)}`);
    }
    // Like kaniko's warmer, success while at least one image made it; the others were warned about.
    return 0;
  },
};
