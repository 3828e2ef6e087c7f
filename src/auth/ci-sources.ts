// Registries a CI system hands credentials for: GitLab CI's own registry and GitHub's ghcr.io.
import { registerSecret } from '../util/redact.ts';
import { normalizeHost, parseServerKey } from './server-key.ts';
import type { CredentialSource } from './source.ts';

/** GitLab's job token user: the registry accepts CI_JOB_TOKEN as its password. */
const GITLAB_JOB_TOKEN_USER = 'gitlab-ci-token';

/** GitLab CI: the CI_REGISTRY host (with its port, matched exactly) and the job's registry credentials. */
export function gitlabSource(env: NodeJS.ProcessEnv): CredentialSource {
  const host = env.CI_REGISTRY ? parseServerKey(env.CI_REGISTRY).host : undefined;
  const usesJobToken = !env.CI_REGISTRY_PASSWORD;
  const claims = (registry: string): string | undefined => {
    if (!host || normalizeHost(registry) !== host) return undefined;
    if (!usesJobToken) return `CI_REGISTRY="${env.CI_REGISTRY}" with CI_REGISTRY_USER / CI_REGISTRY_PASSWORD`;
    return env.CI_JOB_TOKEN ? `CI_REGISTRY="${env.CI_REGISTRY}" with CI_JOB_TOKEN as user ${GITLAB_JOB_TOKEN_USER}` : undefined;
  };
  return {
    name: 'gitlab',
    claims,
    async lookup(registry) {
      const why = claims(registry);
      if (!why) return undefined;
      const password = (usesJobToken ? env.CI_JOB_TOKEN : env.CI_REGISTRY_PASSWORD) ?? '';
      registerSecret(password);
      const username = usesJobToken ? GITLAB_JOB_TOKEN_USER : (env.CI_REGISTRY_USER ?? '');
      return { credential: { kind: 'basic', username, password }, why };
    },
  };
}

export const GHCR_HOST = 'ghcr.io';

/** GitHub: GITHUB_TOKEN (exported by the workflow) for ghcr.io, as the GITHUB_ACTOR user. */
export function ghcrSource(env: NodeJS.ProcessEnv): CredentialSource {
  const claims = (registry: string): string | undefined =>
    env.GITHUB_TOKEN && normalizeHost(registry) === GHCR_HOST ? `GITHUB_TOKEN is set and ${registry} is GitHub's registry` : undefined;
  return {
    name: 'ghcr',
    claims,
    async lookup(registry) {
      const why = claims(registry);
      if (!why) return undefined;
      const password = env.GITHUB_TOKEN!;
      registerSecret(password);
      // ghcr.io checks the token, not the name; the actor is the honest one to give.
      return { credential: { kind: 'basic', username: env.GITHUB_ACTOR || 'github-actions', password }, why };
    },
  };
}
