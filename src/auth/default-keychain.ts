// kiln's default credential chain (docs/credentials.md), first answer wins:
//   --registry-auth flags > env conventions (KILN_REGISTRY_*, KANIKO_<HOST>_*) > DOCKER_AUTH_CONFIG
//   > config.json > built-in cloud/CI helpers chosen by host > anonymous.
import { builtinSources, parseCredentialHelpers } from './builtins.ts';
import { ChainKeychain } from './chain.ts';
import type { InProcessHelpers } from './docker-config.ts';
import { KILN_HELPER, kilnHelperCredential } from './configure.ts';
import { configFileSource, dockerAuthConfigSource } from './docker-sources.ts';
import { flagSource, parseRegistryAuth } from './flag-source.ts';

export interface KeychainOptions {
  /** --registry-auth values. */
  registryAuth?: readonly string[];
  /** --credential-helpers as given; undefined selects every built-in. */
  credentialHelpers?: string;
  env?: NodeJS.ProcessEnv;
}

/** The built-in sources alone: what docker-credential-kiln, and a credHelpers "kiln" entry, answer from. */
export function builtinKeychain(names: readonly string[], env: NodeJS.ProcessEnv): ChainKeychain {
  return new ChainKeychain([...builtinSources(names, 'env', env), ...builtinSources(names, 'helper', env)]);
}

export function defaultKeychain(opts: KeychainOptions = {}): ChainKeychain {
  const env = opts.env ?? process.env;
  const names = parseCredentialHelpers(opts.credentialHelpers);
  const builtins = builtinKeychain(names, env);
  // A credHelpers entry naming kiln is answered here, as docker-credential-kiln would, rather than by spawning ourselves.
  const inProcess: InProcessHelpers = { [KILN_HELPER]: (registry, repository, context) => kilnHelperCredential(registry, env, builtins, repository, context) };
  return new ChainKeychain([
    flagSource((opts.registryAuth ?? []).map((spec) => parseRegistryAuth(spec, env))),
    ...builtinSources(names, 'env', env),
    dockerAuthConfigSource(env, inProcess),
    configFileSource(env, inProcess),
    ...builtinSources(names, 'helper', env),
  ]);
}
