// OIDC exchange: a CI job's subject token (GitHub Actions, the Buildkite agent, a file) turned
// into registry credentials by a cloud's token service. The faces (CLI, Action, plugin) and the
// docker-credential-kiln helper all go through mintRegistryCredential (oidc/index.ts).

/** Where the subject token comes from. */
export type SubjectTokenSource =
  /** ACTIONS_ID_TOKEN_REQUEST_URL / ACTIONS_ID_TOKEN_REQUEST_TOKEN, as @actions/core's getIDToken asks. */
  | { kind: 'github'; audience?: string }
  /** `buildkite-agent oidc request-token --audience A --lifetime S`. */
  | { kind: 'buildkite'; audience?: string; lifetimeSeconds?: number }
  /** A file holding the token (re-read on every mint: kubelet and runners rotate it). */
  | { kind: 'file'; path: string }
  /** A token already in hand (the Action's core.getIDToken). */
  | { kind: 'value'; token: string };

/** Which token service the subject token is exchanged with, and its fields. */
export type OidcProviderSpec =
  | { provider: 'aws'; roleArn: string; sessionName?: string; region?: string; durationSeconds?: number }
  | { provider: 'gcp'; workloadIdentityProvider: string; serviceAccount?: string }
  | { provider: 'azure'; clientId: string; tenantId: string; authorityHost?: string }
  | { provider: 'buildkite-packages'; organization: string; registry: string };

export type OidcProvider = OidcProviderSpec['provider'];

export interface OidcRequest {
  /** The registry host the credential is for (ECR's region, ACR's login server come from it). */
  registry: string;
  spec: OidcProviderSpec;
  subject: SubjectTokenSource;
}
