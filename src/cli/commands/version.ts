import type { Command } from '../command.ts';

declare const KILN_VERSION: string | undefined;

export const versionCommand: Command = {
  name: 'version',
  summary: 'Print the version of kiln',
  flags: [],
  async run() {
    const version = typeof KILN_VERSION === 'string' ? KILN_VERSION : 'dev';
    process.stdout.write(`kiln ${version}\n`);
    return 0;
  },
};
