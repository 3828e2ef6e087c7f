// kiln's default keychain. Sources, first answer wins:
//   1. DOCKER_AUTH_CONFIG: config.json content in the environment (kaniko gives it priority, so
//      it shadows the file for every registry it names);
//   2. the first config.json that exists of $DOCKER_CONFIG/config.json,
//      /kaniko/.docker/config.json, ~/.docker/config.json.
// In each: credHelpers for the host, then credsStore, then auths (most specific repository path).
import type { Credential, Keychain } from './credential.ts';
import { findConfigFile, parseDockerConfig, readDockerConfig, resolveFromConfig, type DockerConfig } from './docker-config.ts';

/** A place a config may come from; `load` gives the config and the name errors should use. */
type ConfigSource = () => { config: DockerConfig; name: string } | undefined;

export class DockerKeychain implements Keychain {
  private readonly sources: ConfigSource[];
  // Helpers are processes; ask each once per registry and repository.
  private readonly cache = new Map<string, Promise<Credential | undefined>>();

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.sources = [
      () =>
        env.DOCKER_AUTH_CONFIG
          ? { config: parseDockerConfig(env.DOCKER_AUTH_CONFIG, 'DOCKER_AUTH_CONFIG'), name: 'DOCKER_AUTH_CONFIG' }
          : undefined,
      () => {
        const path = findConfigFile(env);
        return path ? { config: readDockerConfig(path), name: path } : undefined;
      },
    ];
  }

  resolve(registry: string, repository?: string): Promise<Credential | undefined> {
    const key = `${registry}\n${repository ?? ''}`;
    let found = this.cache.get(key);
    if (!found) {
      found = this.lookup(registry, repository);
      this.cache.set(key, found);
      // A failure should be reported once, not remembered: the next call may find a fixed config.
      found.catch(() => this.cache.delete(key));
    }
    return found;
  }

  private async lookup(registry: string, repository?: string): Promise<Credential | undefined> {
    for (const source of this.sources) {
      const loaded = source();
      if (!loaded) continue;
      const cred = await resolveFromConfig(loaded.config, loaded.name, registry, repository);
      if (cred) return cred;
    }
    return undefined;
  }
}
