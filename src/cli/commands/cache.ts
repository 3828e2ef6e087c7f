// `kiln cache prune`: trims a local layer cache (the directory of `--cache-repo dir:DIR`).
import type { Command } from '../command.ts';
import type { FlagSpec } from '../flags.ts';
import { pruneDirCache } from '../../image/cache-dir.ts';
import { BuilderError } from '../../util/errors.ts';
import { parseSize } from '../../util/size.ts';

const cacheFlags: FlagSpec[] = [
  { name: 'max-size', type: 'string', value: 'SIZE', help: 'keep the most recently used entries that fit in SIZE (e.g. 10G); without it only unused blobs go' },
];

export const cacheCommand: Command = {
  name: 'cache',
  summary: 'Manage a local layer cache: kiln cache prune [--max-size SIZE] DIR',
  flags: cacheFlags,
  async run(args) {
    const [action, dir, ...rest] = args.positionals;
    if (action !== 'prune') throw new BuilderError('USAGE', `kiln cache: unknown action "${action ?? ''}"; usage: kiln cache prune [--max-size SIZE] DIR`);
    if (!dir || rest.length > 0) throw new BuilderError('USAGE', 'usage: kiln cache prune [--max-size SIZE] DIR (the DIR of --cache-repo dir:DIR)');
    const maxText = args.flags['max-size'] as string | undefined;
    const result = await pruneDirCache(dir.replace(/^dir:/, ''), maxText === undefined ? undefined : parseSize(maxText, '--max-size'));
    process.stdout.write(`removed ${result.entriesRemoved} entries and ${result.blobsRemoved} blobs (${result.bytesRemoved} bytes); kept ${result.entriesKept} entries (${result.bytes} bytes)\n`);
    return 0;
  },
};
