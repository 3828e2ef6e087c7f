// `kiln login REGISTRY -u USER --password-stdin`: checks the credentials against the registry the
// way a pull would authenticate, then stores them in config.json ($DOCKER_CONFIG or ~/.docker),
// where every later kiln command (and docker, skopeo, buildah) finds them. Where a token server
// issues an identity token for the password, that token is stored instead, as docker does.
import { join } from 'node:path';
import type { Command } from '../command.ts';
import type { ParsedArgs } from '../flags.ts';
import { transportFlags, transportOptions } from '../transport-flags.ts';
import { registryArgument } from './logout.ts';
import { singleCredentialKeychain } from '../../auth/credential.ts';
import { saveLogin } from '../../auth/config-writer.ts';
import { dockerConfigDir } from '../../auth/docker-config.ts';
import { RegistryClient } from '../../registry/client.ts';
import { BuilderError } from '../../util/errors.ts';
import { log } from '../../util/log.ts';
import { registerSecret } from '../../util/redact.ts';

async function readStdin(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of process.stdin) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

async function password(args: ParsedArgs): Promise<string> {
  const fromFlag = args.flags.password as string | undefined;
  if (args.flags['password-stdin']) {
    if (fromFlag !== undefined) throw new BuilderError('USAGE', '--password and --password-stdin are mutually exclusive');
    // Like docker: the trailing newline of `echo $PW |` is not part of the password.
    return (await readStdin()).replace(/\r?\n$/, '');
  }
  if (fromFlag === undefined) throw new BuilderError('USAGE', 'kiln login needs a password: pipe it in with --password-stdin');
  log.warn('Using --password on the command line is insecure: it lands in shell history and process lists. Use --password-stdin.');
  return fromFlag;
}

export const loginCommand: Command = {
  name: 'login',
  summary: 'Check credentials for a registry and save them in config.json',
  args: '[REGISTRY]',
  flags: [
    { name: 'username', aliases: ['u'], type: 'string', value: 'USER', help: 'user name' },
    { name: 'password', aliases: ['p'], type: 'string', value: 'PASSWORD', help: 'password (insecure: prefer --password-stdin)' },
    { name: 'password-stdin', type: 'bool', default: false, help: 'read the password from standard input' },
    ...transportFlags,
  ],
  async run(args) {
    const registry = registryArgument(args, 'login');
    const username = args.flags.username as string | undefined;
    if (!username) throw new BuilderError('USAGE', 'kiln login needs a user name: -u USER');
    const secret = await password(args);
    registerSecret(secret);
    if (secret === '') throw new BuilderError('USAGE', `kiln login ${registry}: the password is empty`);

    const keychain = singleCredentialKeychain(registry, { kind: 'basic', username, password: secret });
    const client = new RegistryClient(transportOptions(args, keychain));
    let identityToken: string | undefined;
    try {
      ({ identityToken } = await client.checkAuth(registry));
    } finally {
      await client.close();
    }
    const path = join(dockerConfigDir(), 'config.json');
    // Like docker: when the token server hands out an identity token, keep it instead of the password.
    saveLogin(path, registry, username, identityToken ? { identityToken } : { password: secret });
    log.info(`${identityToken ? 'identity token' : 'credentials'} for ${registry} saved in ${path}`);
    process.stdout.write('Login Succeeded\n');
    return 0;
  },
};
