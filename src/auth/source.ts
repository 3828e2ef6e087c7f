// The keychain is a chain of credential sources tried in a documented order (docs/credentials.md):
// explicit flags, env-var conventions, DOCKER_AUTH_CONFIG, config.json, the built-in cloud
// helpers, then anonymous. Each source answers for a registry (and repository) or passes.
import type { Credential, LookupContext } from './credential.ts';

export interface Answer {
  credential: Credential;
  /** When the credential stops working (ms since the epoch); the keychain asks again before then. */
  expiresAt?: number;
  /**
   * Why this source answered, for `kiln auth explain` and debug logs; never a secret
   * (e.g. `KILN_REGISTRY_HOSTNAME_1="*.example.com" matches registry.example.com`).
   */
  why: string;
}

export interface CredentialSource {
  /** Stable name used in messages and in --credential-helpers: env, google, ecr, acr, gitlab, ghcr, … */
  readonly name: string;
  /**
   * Whether this source would answer for the registry, decided without network or secrets:
   * a reason string when it claims it, undefined when it passes. `kiln auth explain` prints it.
   */
  claims(registry: string, repository?: string): string | undefined;
  /**
   * The credential, or undefined when the source has none after all (no cloud identity found,
   * metadata server unreachable within a bounded time). Throws BuilderError('CREDENTIALS', …)
   * naming the source and the host for a failure the user must fix (refused, expired, malformed).
   */
  lookup(registry: string, repository?: string, context?: LookupContext): Promise<Answer | undefined>;
}
