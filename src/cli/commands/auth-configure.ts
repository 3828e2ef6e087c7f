// `kiln auth configure --registry R (--username U --password-env VAR | --oidc ... | --helper [...])`:
// a config.json for tools other than kiln (podman, skopeo, crane) in a private DOCKER_CONFIG
// directory it prints. A static login (a password from the environment, or an OIDC credential
// minted now) stops working when it expires; --helper instead names docker-credential-kiln,
// which mints on every get from the recipe written beside config.json.
import type { ParsedArgs } from '../flags.ts';
import { configureHelper, configureLogin, privateDockerConfigDir, type HelperRecipe } from '../../auth/configure.ts';
import { BuilderError } from '../../util/errors.ts';
import { log } from '../../util/log.ts';
import { registerSecret } from '../../util/redact.ts';
import type { AuthAction } from './auth.ts';
import { dockerConfigFlag, oidcFlags, oidcRecipe, registryFlag, registryHost, writeMintedLogin } from './auth-oidc.ts';

const ACTION = 'configure';

function staticLogin(args: ParsedArgs, registry: string): number {
  const username = args.flags.username as string | undefined;
  const variable = args.flags['password-env'] as string | undefined;
  if (!username || !variable) throw new BuilderError('USAGE', `${ACTION}: a static login needs --username U and --password-env VAR`);
  const password = process.env[variable];
  registerSecret(password);
  if (!password) throw new BuilderError('USAGE', `${ACTION}: --password-env ${variable}: the variable is empty or unset`);
  const dir = privateDockerConfigDir(args.flags['docker-config'] as string | undefined);
  configureLogin(dir, registry, { kind: 'basic', username, password });
  log.info(`${ACTION}: login of ${username} for ${registry} written to ${dir}/config.json`);
  process.stdout.write(`${dir}\n`);
  return 0;
}

function helper(args: ParsedArgs, registry: string): number {
  // Provider flags make an OIDC recipe; without them the helper answers from kiln's built-in sources.
  const recipe: HelperRecipe = args.given.has('provider') ? { oidc: oidcRecipe(args, ACTION) } : {};
  const dir = privateDockerConfigDir(args.flags['docker-config'] as string | undefined);
  configureHelper(dir, registry, recipe);
  const how = recipe.oidc ? `an OIDC exchange with ${recipe.oidc.spec.provider}` : "kiln's built-in credential sources";
  log.info(`${ACTION}: ${registry} answered by docker-credential-kiln (${how}) through ${dir}/config.json`);
  process.stdout.write(`${dir}\n`);
  return 0;
}

export const configureAction: AuthAction = {
  name: ACTION,
  args: '--registry R (--username U --password-env VAR | --oidc --provider P ... | --helper [--provider P ...]) [--docker-config DIR]',
  summary: 'Write a config.json (static login, minted OIDC login, or the docker-credential-kiln helper) into a private DOCKER_CONFIG and print it',
  flags: [
    registryFlag,
    { name: 'username', aliases: ['u'], type: 'string', value: 'USER', help: 'static login: the user name' },
    { name: 'password-env', type: 'string', value: 'VAR', help: 'static login: the password is the value of $VAR' },
    { name: 'oidc', type: 'bool', default: false, help: 'mint a login now from the OIDC token (same fields as kiln auth oidc)' },
    { name: 'helper', type: 'bool', default: false, help: 'name docker-credential-kiln for the registry: it mints on every get' },
    ...oidcFlags,
    dockerConfigFlag,
  ],
  async run(args) {
    if (args.positionals.length > 0) throw new BuilderError('USAGE', `${ACTION} takes no arguments, got ${args.positionals.join(' ')}`);
    const registry = registryHost(args, ACTION);
    const modes = [args.given.has('username') || args.given.has('password-env'), args.flags.oidc === true, args.flags.helper === true];
    if (modes.filter(Boolean).length !== 1) throw new BuilderError('USAGE', `${ACTION}: give exactly one of --username/--password-env, --oidc or --helper`);
    if (args.flags.oidc === true) return writeMintedLogin(args, ACTION);
    const stray = oidcFlags.find((f) => args.given.has(f.name));
    if (stray && !(args.flags.helper === true && args.given.has('provider'))) {
      throw new BuilderError('USAGE', `${ACTION}: --${stray.name} needs --oidc, or --helper with --provider`);
    }
    if (args.flags.helper === true) return helper(args, registry);
    return staticLogin(args, registry);
  },
};
