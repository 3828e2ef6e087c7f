// `kiln copy SRC DST`, plus what the image inspection commands (digest, manifest, config) share
// with it: the transport flags (src/cli/transport-flags.ts), a client built from them, reading a
// location.
import type { Command } from '../command.ts';
import type { FlagSpec, ParsedArgs } from '../flags.ts';
import { transportFlags, transportOptions } from '../transport-flags.ts';
import { copy, parseLocation, readLocation, type Location } from '../../image/copy.ts';
import { resolveImage } from '../../image/platform.ts';
import type { Image, ImageOrIndex } from '../../image/types.ts';
import { RegistryClient } from '../../registry/client.ts';
import { hostPlatform, parsePlatform } from '../../oci/platform.ts';
import type { Platform } from '../../oci/types.ts';
import { BuilderError } from '../../util/errors.ts';

export const imageFlags: FlagSpec[] = [
  ...transportFlags,
  { name: 'platform', type: 'string', value: 'OS/ARCH[/VARIANT]', help: 'the image of this platform out of an index' },
];

/** A registry client configured by the transport flags; credentials come from the docker config. */
export function clientFromFlags(args: ParsedArgs): RegistryClient {
  return new RegistryClient({
    ...transportOptions(args),
    // Every blob in one streamed request, as skopeo does. Chunked uploads cut the stream into
    // 16 MiB buffers, copying every byte once more; in bench/copy.ts that cost kiln a third more
    // CPU and memory. A failed attempt starts over from a fresh stream either way.
    chunkThreshold: Number.POSITIVE_INFINITY,
  });
}

export function platformFlag(args: ParsedArgs): Platform | undefined {
  const text = args.flags.platform as string | undefined;
  return text ? parsePlatform(text) : undefined;
}

export function onePositional(args: ParsedArgs, command: string, what: string): string {
  if (args.positionals.length !== 1) throw new BuilderError('USAGE', `kiln ${command} takes one ${what} argument, got ${args.positionals.length}`);
  return args.positionals[0];
}

/** Runs `work` with the image or index at the one REF argument, then closes the client. */
export async function withSource<T>(args: ParsedArgs, command: string, work: (source: ImageOrIndex, name: string) => Promise<T>): Promise<T> {
  const text = onePositional(args, command, 'REF');
  const loc: Location = parseLocation(text);
  const client = clientFromFlags(args);
  try {
    return await work(await readLocation(client, loc), text);
  } finally {
    await client.close();
  }
}

/** The image itself, or the one for --platform (default: this machine's) out of an index. */
export function imageOf(source: ImageOrIndex, args: ParsedArgs, name: string): Promise<Image> {
  return resolveImage(source, platformFlag(args) ?? hostPlatform(), name);
}

export const copyCommand: Command = {
  name: 'copy',
  summary: 'Copy an image or a whole index between registries, OCI layouts and docker archives',
  args: 'SRC DST',
  flags: [
    ...imageFlags,
    { name: 'concurrency', type: 'int', default: 4, value: 'N', help: 'blobs transferred at once' },
  ],
  async run(args) {
    if (args.positionals.length !== 2) throw new BuilderError('USAGE', `kiln copy takes SRC and DST, got ${args.positionals.length} arguments`);
    const [src, dst] = args.positionals.map(parseLocation);
    const concurrency = args.flags.concurrency as number;
    if (concurrency < 1) throw new BuilderError('USAGE', `invalid value "${concurrency}" for flag --concurrency: must be at least 1`);
    const client = clientFromFlags(args);
    try {
      const digest = await copy(src, dst, { client, platform: platformFlag(args), concurrency });
      process.stdout.write(`${digest}\n`);
    } finally {
      await client.close();
    }
    return 0;
  },
};
