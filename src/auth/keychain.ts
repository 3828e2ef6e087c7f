// docker's keychain: DOCKER_AUTH_CONFIG, then the first config.json of $DOCKER_CONFIG/config.json,
// /kaniko/.docker/config.json, ~/.docker/config.json. The full default chain (flags, env
// conventions, cloud helpers) is default-keychain.ts; this is the docker-config part alone.
import { ChainKeychain } from './chain.ts';
import { configFileSource, dockerAuthConfigSource } from './docker-sources.ts';

export class DockerKeychain extends ChainKeychain {
  constructor(env: NodeJS.ProcessEnv = process.env) {
    super([dockerAuthConfigSource(env), configFileSource(env)]);
  }
}
