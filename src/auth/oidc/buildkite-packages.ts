// Buildkite Packages registries take the job's OIDC token itself as the password (user
// `buildkite`), when the token's audience names the registry.
import { decodeJwt } from 'jose';
import type { Answer } from '../source.ts';
import type { OidcProviderSpec } from './types.ts';

type Spec = Extract<OidcProviderSpec, { provider: 'buildkite-packages' }>;

export function audienceFor(spec: Spec): string {
  return `https://packages.buildkite.com/${spec.organization}/${spec.registry}`;
}

export async function exchange(spec: Spec, registry: string, subjectToken: string): Promise<Answer> {
  let exp: number | undefined;
  try {
    exp = decodeJwt(subjectToken).exp;
  } catch {
    // Not a JWT we can read: the registry decides; the keychain just won't know when it expires.
  }
  return {
    credential: { kind: 'basic', username: 'buildkite', password: subjectToken },
    expiresAt: exp === undefined ? undefined : exp * 1000,
    why: `OIDC token for ${audienceFor(spec)} as the password for ${registry}`,
  };
}
