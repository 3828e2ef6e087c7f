// docker's config as credential sources: DOCKER_AUTH_CONFIG (config.json content in the
// environment, which kaniko lets shadow the file) and the first config.json found on disk.
// Within one config: credHelpers for the host, then credsStore, then the most specific `auths` key.
import { configHelper, findAuthEntry, findConfigFile, parseDockerConfig, readDockerConfig, resolveFromConfig, type DockerConfig, type InProcessHelpers } from './docker-config.ts';
import type { CredentialSource } from './source.ts';

type LoadConfig = () => { config: DockerConfig; name: string } | undefined;

function configSource(sourceName: string, load: LoadConfig, inProcess: InProcessHelpers): CredentialSource {
  // Read once: a build asks for many registries, and the file does not change under it.
  let loaded: ReturnType<LoadConfig> | null = null;
  const get = (): ReturnType<LoadConfig> => (loaded === null ? (loaded = load()) : loaded);
  return {
    name: sourceName,
    claims(registry, repository) {
      const found = get();
      if (!found) return undefined;
      const helper = configHelper(found.config, registry);
      const entry = findAuthEntry(found.config, registry, repository);
      if (helper) {
        const via = helper in inProcess ? 'answered by kiln itself' : `docker-credential-${helper}`;
        return `${found.name} names credential helper "${helper}" for ${registry} (${via})${entry ? `, auths["${entry.key}"] if it has nothing` : ''}`;
      }
      return entry ? `${found.name} auths["${entry.key}"] matches ${registry}${repository ? `/${repository}` : ''}` : undefined;
    },
    async lookup(registry, repository, context) {
      const found = get();
      if (!found) return undefined;
      const credential = await resolveFromConfig(found.config, found.name, registry, repository, inProcess, context);
      return credential && { credential, why: this.claims(registry, repository) ?? found.name };
    },
  };
}

export function dockerAuthConfigSource(env: NodeJS.ProcessEnv, inProcess: InProcessHelpers = {}): CredentialSource {
  return configSource(
    'DOCKER_AUTH_CONFIG',
    () => (env.DOCKER_AUTH_CONFIG ? { config: parseDockerConfig(env.DOCKER_AUTH_CONFIG, 'DOCKER_AUTH_CONFIG'), name: 'DOCKER_AUTH_CONFIG' } : undefined),
    inProcess,
  );
}

export function configFileSource(env: NodeJS.ProcessEnv, inProcess: InProcessHelpers = {}): CredentialSource {
  return configSource(
    'config.json',
    () => {
      const path = findConfigFile(env);
      return path ? { config: readDockerConfig(path), name: path } : undefined;
    },
    inProcess,
  );
}
