// How a RegistryClient talks to registries. kaniko's transport flags map onto these fields one
// to one (src/cli/transport-flags.ts); library users fill them directly.
import type { Keychain } from '../auth/credential.ts';
import type { Digest } from '../oci/digest.ts';

/** Pulls and pushes have separate insecure/skip-verify switches in kaniko. */
export type Direction = 'pull' | 'push';

export interface ProgressEvent {
  phase: 'upload' | 'download';
  /** "registry/repository" the bytes move to or from. */
  repository: string;
  digest: Digest;
  done: number;
  total?: number;
}

export interface RegistryOptions {
  keychain: Keychain;
  /** --insecure: pushes may fall back to plain HTTP when HTTPS does not answer. */
  insecurePush: boolean;
  /** --insecure-pull: the same for pulls. */
  insecurePull: boolean;
  /** --insecure-registry: hosts that may use plain HTTP in both directions. */
  insecureRegistries: string[];
  /** --skip-tls-verify: no certificate checks for pushes. */
  skipTlsVerifyPush: boolean;
  /** --skip-tls-verify-pull: no certificate checks for pulls. */
  skipTlsVerifyPull: boolean;
  /** --skip-tls-verify-registry: hosts whose certificates are not checked. */
  skipTlsVerifyRegistries: string[];
  /** --registry-certificate host=path: extra CA (PEM) trusted for that host, on top of the system's. */
  certificates: Record<string, string>;
  /** --registry-mirror: hosts tried in order for docker.io pulls before Docker Hub itself. */
  mirrors: string[];
  /**
   * --registry-address host=address:port: where to connect for that registry host instead of what
   * DNS says; the Host header and the TLS name stay the registry's own.
   */
  addresses: Record<string, string>;
  /** Retries of one request after a 408/429/5xx or a broken connection. */
  retries: number;
  /** --push-retry: further attempts of a whole blob upload or manifest push after retries ran out. */
  pushRetry: number;
  /** Requests in flight at once, per client. */
  concurrency: number;
  /** Blobs of at least this many bytes are uploaded in PATCH chunks, smaller ones in one PUT. */
  chunkThreshold: number;
  /** Size of one PATCH chunk. */
  chunkSize: number;
  userAgent: string;
  onProgress?: (event: ProgressEvent) => void;
}

export const DEFAULT_OPTIONS: Omit<RegistryOptions, 'keychain'> = {
  insecurePush: false,
  insecurePull: false,
  insecureRegistries: [],
  skipTlsVerifyPush: false,
  skipTlsVerifyPull: false,
  skipTlsVerifyRegistries: [],
  certificates: {},
  mirrors: [],
  addresses: {},
  retries: 3,
  pushRetry: 0,
  concurrency: 8,
  chunkThreshold: 64 * 1024 * 1024,
  chunkSize: 16 * 1024 * 1024,
  userAgent: 'kiln',
};

export function registryOptions(given: Partial<RegistryOptions> & Pick<RegistryOptions, 'keychain'>): RegistryOptions {
  return { ...DEFAULT_OPTIONS, ...given };
}
