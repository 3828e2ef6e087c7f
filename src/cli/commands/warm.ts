// `kiln warm`: kaniko's warmer (gcr.io/kaniko-project/warmer). Downloads base images into the
// --cache-dir that `kiln build --cache-dir` reads, so builds start without pulling them.
import { readFile } from 'node:fs/promises';
import type { Command } from '../command.ts';
import type { FlagSpec } from '../flags.ts';
import { transportFlags, transportOptions } from '../transport-flags.ts';
import { parseDockerfile } from '../../dockerfile/index.ts';
import { resolveStages } from '../../dockerfile/stages.ts';
import { parseBuildArgs } from '../../dockerfile/build-args.ts';
import { DEFAULT_CACHE_DIR, warmImage } from '../../image/base-cache.ts';
import { parsePlatform } from '../../oci/platform.ts';
import type { Platform } from '../../oci/types.ts';
import { RegistryClient } from '../../registry/client.ts';
import { parseReference, type Reference } from '../../registry/reference.ts';
import { BuilderError, describeError, fromSystemError, isBuilderError } from '../../util/errors.ts';
import { log } from '../../util/log.ts';

// The warmer's own flags, with its names and short forms, then kaniko's transport flags.
const warmFlags: FlagSpec[] = [
  { name: 'image', aliases: ['i'], type: 'list', value: 'REF', help: 'image to cache (repeatable)' },
  { name: 'cache-dir', aliases: ['c'], type: 'string', default: DEFAULT_CACHE_DIR, value: 'DIR', help: 'directory of the base-image cache' },
  { name: 'force', aliases: ['f'], type: 'bool', default: false, help: 'download and verify images again even when they are cached' },
  { name: 'dockerfile', aliases: ['d'], type: 'string', value: 'PATH', help: 'also cache the images this Dockerfile builds FROM' },
  { name: 'build-arg', type: 'list', value: 'NAME[=VALUE]', help: 'build argument for expanding the Dockerfile\'s FROM lines (repeatable)' },
  { name: 'custom-platform', aliases: ['customPlatform', 'platform'], type: 'string', value: 'OS/ARCH[/VARIANT]', help: "the image of this platform out of an index (default: the host's)" },
  ...transportFlags,
];

interface WarmTarget {
  ref: Reference;
  /** A FROM --platform; otherwise --customPlatform or the host's. */
  platform?: Platform;
}

/** The images the Dockerfile's stages start from or copy from, FROM lines expanded. */
async function dockerfileImages(path: string, buildArgs: string[], platform: Platform | undefined): Promise<WarmTarget[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw fromSystemError(err, `--dockerfile ${path}`);
  }
  const build = resolveStages(parseDockerfile(text, { file: path }), { buildArgs: parseBuildArgs(buildArgs), platform });
  const targets: WarmTarget[] = [];
  for (const stage of build.allStages) {
    const stagePlatform = stage.platform ? parsePlatform(stage.platform) : platform;
    if (stage.base.kind === 'image') targets.push({ ref: parseReference(stage.base.ref), platform: stagePlatform });
    for (const image of stage.images) targets.push({ ref: parseReference(image), platform });
  }
  return targets;
}

export const warmCommand: Command = {
  name: 'warm',
  summary: 'Download base images into the --cache-dir that kiln build reads (kaniko\'s warmer)',
  flags: warmFlags,
  async run(args) {
    if (args.positionals.length > 0) throw new BuilderError('USAGE', `kiln warm takes images as --image REF, not arguments: ${args.positionals.join(' ')}`);
    const platformText = args.flags['custom-platform'] as string | undefined;
    const platform = platformText ? parsePlatform(platformText) : undefined;
    // Every name is checked before anything is downloaded.
    const targets: WarmTarget[] = (args.flags.image as string[]).map((text) => ({ ref: parseReference(text), platform }));
    const dockerfile = args.flags.dockerfile as string | undefined;
    if (dockerfile) targets.push(...(await dockerfileImages(dockerfile, args.flags['build-arg'] as string[], platform)));
    // The same image asked for twice (by --image and a FROM, or by two stages) is fetched once.
    const seen = new Set<string>();
    const unique = targets.filter((t) => {
      const id = `${t.ref} ${t.platform ? JSON.stringify(t.platform) : ''}`;
      return seen.has(id) ? false : (seen.add(id), true);
    });
    if (unique.length === 0) throw new BuilderError('USAGE', 'kiln warm needs at least one --image, or a --dockerfile that builds FROM an image');
    const cacheDir = args.flags['cache-dir'] as string;
    const force = args.flags.force as boolean;

    const client = new RegistryClient(transportOptions(args));
    const failures: unknown[] = [];
    try {
      // One image failing does not stop the others.
      for (const { ref, platform: wanted } of unique) {
        try {
          const { digest } = await warmImage(client, ref, cacheDir, { platform: wanted, force });
          process.stdout.write(`${digest} ${ref}\n`);
        } catch (err) {
          failures.push(err);
          if (unique.length > 1) log.warn(`could not warm ${ref}: ${describeError(err)}`);
        }
      }
    } finally {
      await client.close();
    }
    if (failures.length === unique.length) {
      const first = failures[0];
      if (unique.length === 1 && isBuilderError(first)) throw first;
      throw new BuilderError(isBuilderError(first) ? first.code : 'INTERNAL', `none of the ${unique.length} images could be warmed; the first: ${describeError(first)}`);
    }
    // Like kaniko's warmer, success while at least one image made it; the others were warned about.
    return 0;
  },
};
