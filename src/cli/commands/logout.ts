// `kiln logout [REGISTRY]`: removes the registry's entry from config.json ($DOCKER_CONFIG or
// ~/.docker), every spelling of its key; other registries and settings stay.
import { join } from 'node:path';
import type { Command } from '../command.ts';
import type { ParsedArgs } from '../flags.ts';
import { removeLogin } from '../../auth/config-writer.ts';
import { dockerConfigDir } from '../../auth/docker-config.ts';
import { parseServerKey } from '../../auth/server-key.ts';
import { BuilderError } from '../../util/errors.ts';

/** The REGISTRY argument of login/logout as a registry name; docker.io when it is left out. */
export function registryArgument(args: ParsedArgs, command: string): string {
  if (args.positionals.length > 1) throw new BuilderError('USAGE', `kiln ${command} takes one REGISTRY argument, got ${args.positionals.length}`);
  const text = args.positionals[0] ?? 'docker.io';
  const key = parseServerKey(text);
  if (key.host === '' || !/^[a-z0-9.\-[\]:]+$/.test(key.host)) throw new BuilderError('USAGE', `kiln ${command}: "${text}" is not a registry host`);
  if (key.path !== '') throw new BuilderError('USAGE', `kiln ${command}: give a registry host, not a repository ("${text}")`);
  return key.host;
}

export const logoutCommand: Command = {
  name: 'logout',
  summary: 'Remove saved credentials for a registry from config.json',
  args: '[REGISTRY]',
  flags: [],
  async run(args) {
    const registry = registryArgument(args, 'logout');
    const path = join(dockerConfigDir(), 'config.json');
    if (removeLogin(path, registry)) process.stdout.write(`Removing login credentials for ${registry}\n`);
    else process.stdout.write(`Not logged in to ${registry}\n`);
    return 0;
  },
};
