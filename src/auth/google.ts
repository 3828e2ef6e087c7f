// Google Container Registry and Artifact Registry through Application Default Credentials, as
// docker-credential-gcr does: a credentials file (GOOGLE_APPLICATION_CREDENTIALS or gcloud's
// application_default_credentials.json) or else the GCE metadata server. A service-account key
// is handed to the registry as `_json_key` (Google's documented key login, no token round trip);
// every other kind becomes an OAuth2 access token sent as user `oauth2accesstoken`.
import { namedExports } from '../util/package-import.ts';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
// google-auth-library is imported when a lookup needs it: a build that never meets Google does not load it.
import type { GoogleAuth, GoogleAuthOptions } from 'google-auth-library';
import { BuilderError } from '../util/errors.ts';
import { redact, registerSecret } from '../util/redact.ts';
import { withTimeout } from '../util/timeout.ts';
import type { Answer, CredentialSource } from './source.ts';

export const GOOGLE_ACCESS_TOKEN_USER = 'oauth2accesstoken';
const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
/** Off GCP nothing answers at the metadata address; waiting longer only delays the next source. */
const METADATA_TIMEOUT_MS = 5000;

/** gcr.io and its regional hosts, and Artifact Registry's LOCATION-docker.pkg.dev. */
export function isGoogleRegistry(registry: string): boolean {
  const host = registry.toLowerCase().replace(/:\d+$/, '');
  return host === 'gcr.io' || host.endsWith('.gcr.io') || host.endsWith('.pkg.dev');
}

/** The ADC file: GOOGLE_APPLICATION_CREDENTIALS, else gcloud's well-known file when it exists. */
function credentialsFile(env: NodeJS.ProcessEnv): string | undefined {
  if (env.GOOGLE_APPLICATION_CREDENTIALS) return env.GOOGLE_APPLICATION_CREDENTIALS;
  const configDir = env.CLOUDSDK_CONFIG ?? join(env.HOME ?? homedir(), '.config', 'gcloud');
  const wellKnown = join(configDir, 'application_default_credentials.json');
  return existsSync(wellKnown) ? wellKnown : undefined;
}

async function googleAuth(options: GoogleAuthOptions): Promise<GoogleAuth> {
  const { GoogleAuth } = namedExports(await import('google-auth-library'));
  return new GoogleAuth(options);
}

async function accessToken(auth: GoogleAuth): Promise<{ token: string; expiresAt?: number }> {
  const client = await auth.getClient();
  const { token } = await client.getAccessToken();
  if (!token) throw new Error('no access token in the response');
  return { token, expiresAt: client.credentials.expiry_date ?? undefined };
}

function tokenAnswer(token: string, expiresAt: number | undefined, why: string): Answer {
  registerSecret(token);
  return { credential: { kind: 'basic', username: GOOGLE_ACCESS_TOKEN_USER, password: token }, expiresAt, why };
}

async function fromFile(file: string, registry: string): Promise<Answer> {
  let text: string;
  let type: unknown;
  try {
    text = await readFile(file, 'utf8');
    type = (JSON.parse(text) as { type?: unknown }).type;
  } catch (err) {
    throw new BuilderError('CREDENTIALS', `google: cannot read credentials file ${file} for ${registry}: ${(err as Error).message}`);
  }
  if (type === 'service_account') {
    registerSecret(text);
    return { credential: { kind: 'basic', username: '_json_key', password: text }, why: `service-account key ${file}` };
  }
  try {
    const { token, expiresAt } = await accessToken(await googleAuth({ keyFilename: file, scopes: [CLOUD_PLATFORM_SCOPE] }));
    return tokenAnswer(token, expiresAt, `${String(type)} credentials ${file}`);
  } catch (err) {
    throw new BuilderError('CREDENTIALS', redact(`google: ${String(type)} credentials ${file} refused for ${registry}: ${(err as Error).message}`));
  }
}

/** The metadata server's default service account, or undefined when none answers in time. */
async function fromMetadata(): Promise<Answer | undefined> {
  const auth = await googleAuth({ scopes: [CLOUD_PLATFORM_SCOPE] });
  const found = await withTimeout(accessToken(auth).catch(() => undefined), METADATA_TIMEOUT_MS);
  return found && tokenAnswer(found.token, found.expiresAt, 'the GCE metadata server');
}

/**
 * The source. `env` decides the credentials file; the metadata server's address comes from
 * GCE_METADATA_HOST / GCE_METADATA_IP in the process environment (read by gcp-metadata).
 */
export function googleSource(env: NodeJS.ProcessEnv = process.env): CredentialSource {
  return {
    name: 'google',
    claims(registry) {
      return isGoogleRegistry(registry) ? `${registry} is a Google registry (gcr.io, *.gcr.io, *.pkg.dev)` : undefined;
    },
    async lookup(registry) {
      if (!isGoogleRegistry(registry)) return undefined;
      const file = credentialsFile(env);
      return file ? fromFile(file, registry) : fromMetadata();
    },
  };
}
