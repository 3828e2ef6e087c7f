// What a keychain hands the registry client. Each kind is used differently on the wire:
// basic credentials go in a Basic header or a password grant, an identity token is an OAuth2
// refresh token for the token server, a registry token is a ready Bearer token.

export type Credential =
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'identityToken'; identityToken: string; username?: string }
  | { kind: 'registryToken'; registryToken: string };

/**
 * A form POST to a registry host through the registry client's own connections, so a token
 * exchange on the registry (ACR's /oauth2/exchange) reaches it the way its API does:
 * --registry-address, --registry-certificate, --skip-tls-verify and the trusted CAs.
 */
export type RegistryFormPost = (url: string, form: URLSearchParams) => Promise<{ status: number; text: string }>;

/** What the registry client lends a keychain for one lookup. */
export interface LookupContext {
  post?: RegistryFormPost;
}

export interface Keychain {
  /**
   * Credentials for `registry` (a registry name such as "docker.io" or "127.0.0.1:5000"), and
   * for `repository` on it when sources hold repository-scoped entries; undefined means anonymous.
   */
  resolve(registry: string, repository?: string, context?: LookupContext): Promise<Credential | undefined>;
  /**
   * Drops what the keychain remembers for a registry (one repository, or all when omitted): the
   * registry refused the credential, so the next resolve must ask its source again.
   */
  invalidate?(registry: string, repository?: string): void;
}

/** A keychain that answers anonymous for everything: pulls of public images, tests of that path. */
export const anonymousKeychain: Keychain = {
  async resolve() {
    return undefined;
  },
};

/** A stable, non-secret label for a credential: who, not what. Used in cache keys and messages. */
export function credentialLabel(cred: Credential | undefined): string {
  if (!cred) return 'anonymous';
  switch (cred.kind) {
    case 'basic':
      return `user "${cred.username}"`;
    case 'identityToken':
      return cred.username ? `identity token of "${cred.username}"` : 'an identity token';
    case 'registryToken':
      return 'a registry token';
  }
}

/** The secret part of a credential: what is registered for redaction and masked in CI logs. */
export function credentialSecret(cred: Credential): string {
  switch (cred.kind) {
    case 'basic':
      return cred.password;
    case 'identityToken':
      return cred.identityToken;
    case 'registryToken':
      return cred.registryToken;
  }
}

/** A keychain holding one credential for one registry: what `kiln login` checks before saving. */
export function singleCredentialKeychain(registry: string, credential: Credential): Keychain {
  const host = registry.toLowerCase();
  return {
    async resolve(asked) {
      return asked.toLowerCase() === host ? credential : undefined;
    },
  };
}
