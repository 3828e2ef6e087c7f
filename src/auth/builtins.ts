// The built-in credential sources `--credential-helpers` selects by name (the kaniko fork's flag).
// "env" sources sit before docker's config in the chain; the others after it, in the listed order.
// A cloud source module adds its one line to BUILTINS.
import { BuilderError } from '../util/errors.ts';
import { acrSource } from './acr.ts';
import { gitlabSource, ghcrSource } from './ci-sources.ts';
import { ecrSource } from './ecr.ts';
import { googleSource } from './google.ts';
import { kanikoEnvSource, registryEnvSource } from './env-sources.ts';
import type { CredentialSource } from './source.ts';

interface Builtin {
  /** Where the chain asks it: env conventions before DOCKER_AUTH_CONFIG, cloud helpers after config.json. */
  stage: 'env' | 'helper';
  sources(env: NodeJS.ProcessEnv): CredentialSource[];
}

const BUILTINS: Record<string, Builtin> = {
  env: { stage: 'env', sources: (env) => [registryEnvSource(env), kanikoEnvSource(env)] },
  google: { stage: 'helper', sources: (env) => [googleSource(env)] },
  ecr: { stage: 'helper', sources: (env) => [ecrSource(env)] },
  acr: { stage: 'helper', sources: (env) => [acrSource(env)] },
  gitlab: { stage: 'helper', sources: (env) => [gitlabSource(env)] },
  ghcr: { stage: 'helper', sources: (env) => [ghcrSource(env)] },
};

/** Every built-in, in the order the default chain asks them. */
export const DEFAULT_CREDENTIAL_HELPERS: readonly string[] = Object.keys(BUILTINS);

/** Parses --credential-helpers: undefined means all, "" means none, else comma-separated names. */
export function parseCredentialHelpers(value: string | undefined): string[] {
  if (value === undefined) return [...DEFAULT_CREDENTIAL_HELPERS];
  const names = value.split(',').map((n) => n.trim()).filter((n) => n !== '');
  for (const name of names) {
    if (!(name in BUILTINS)) {
      throw new BuilderError('USAGE', `invalid value "${value}" for flag --credential-helpers: unknown helper "${name}" (known: ${DEFAULT_CREDENTIAL_HELPERS.join(', ')})`);
    }
  }
  return names;
}

/** The sources of the named built-ins at one stage of the chain, in the order named. */
export function builtinSources(names: readonly string[], stage: Builtin['stage'], env: NodeJS.ProcessEnv): CredentialSource[] {
  return names.flatMap((name) => (BUILTINS[name]?.stage === stage ? BUILTINS[name].sources(env) : []));
}
