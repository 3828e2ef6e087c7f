// kaniko's registry transport flags, with kaniko's names and forms, and their mapping onto the
// registry client's options. Any command that talks to registries includes these flags.
import type { FlagSpec, ParsedArgs } from './flags.ts';
import { defaultKeychain } from '../auth/default-keychain.ts';
import { DEFAULT_CREDENTIAL_HELPERS } from '../auth/builtins.ts';
import type { Keychain } from '../auth/credential.ts';
import { registryOptions, type RegistryOptions } from '../registry/options.ts';
import { BuilderError } from '../util/errors.ts';

export const transportFlags: FlagSpec[] = [
  { name: 'insecure', type: 'bool', default: false, help: 'push to plain HTTP registries (HTTPS is tried first)' },
  { name: 'insecure-pull', type: 'bool', default: false, help: 'pull from plain HTTP registries (HTTPS is tried first)' },
  { name: 'insecure-registry', type: 'list', value: 'HOST', help: 'use plain HTTP with this registry when HTTPS fails (repeatable)' },
  { name: 'skip-tls-verify', type: 'bool', default: false, help: 'do not verify TLS certificates when pushing' },
  { name: 'skip-tls-verify-pull', type: 'bool', default: false, help: 'do not verify TLS certificates when pulling' },
  { name: 'skip-tls-verify-registry', type: 'list', value: 'HOST', help: 'do not verify TLS certificates of this registry (repeatable)' },
  { name: 'registry-certificate', type: 'list', value: 'HOST=PATH', help: 'trust this CA certificate (PEM) for a registry (repeatable)' },
  { name: 'registry-mirror', type: 'list', value: 'HOST', help: 'mirror for docker.io pulls, tried in order before Docker Hub (repeatable)' },
  { name: 'registry-address', type: 'list', value: 'HOST=ADDRESS:PORT', help: 'connect to ADDRESS:PORT for registry HOST, keeping HOST as the TLS name and Host header (split-horizon DNS, port-forwards) (repeatable)' },
  { name: 'registry-auth', type: 'list', value: 'HOST[/PATH]=USER:env:VAR', help: 'credentials for a registry (or a repository path on it); the password comes from env:VAR or file:PATH (repeatable)' },
  { name: 'credential-helpers', type: 'string', value: 'NAMES', help: `built-in credential sources, comma-separated; "" disables all (default: ${DEFAULT_CREDENTIAL_HELPERS.join(',')})` },
  { name: 'push-retry', type: 'int', default: 0, value: 'N', help: 'retries of a failed push beyond the transient-error retries' },
];

function usage(message: string): BuilderError {
  return new BuilderError('USAGE', message);
}

/** A registry host as a flag value: host[:port], no scheme and no path (kaniko refuses them too). */
function hostValue(flag: string, value: string): string {
  const v = value.trim();
  if (!/^[A-Za-z0-9.\-[\]:]+$/.test(v) || v.includes('://')) {
    throw usage(`invalid value "${value}" for flag --${flag}: expected a registry host such as mirror.gcr.io or 127.0.0.1:5000`);
  }
  return v;
}

function certificates(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0 || eq === item.length - 1) {
      throw usage(`invalid value "${item}" for flag --registry-certificate: expected HOST=PATH, e.g. my.registry.url=/path/to/ca.crt`);
    }
    out[hostValue('registry-certificate', item.slice(0, eq))] = item.slice(eq + 1);
  }
  return out;
}

/** --registry-address HOST=ADDRESS:PORT values, keyed by host. */
export function registryAddresses(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    const address = item.slice(eq + 1);
    if (eq <= 0 || !/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(address)) {
      throw usage(`invalid value "${item}" for flag --registry-address: expected HOST=ADDRESS:PORT, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com=127.0.0.1:5000`);
    }
    out[hostValue('registry-address', item.slice(0, eq))] = address;
  }
  return out;
}

/** Maps parsed transport flags to client options; credentials come from `keychain`. */
export function transportOptions(args: ParsedArgs, keychain?: Keychain): RegistryOptions {
  const f = args.flags;
  const list = (name: string): string[] => (f[name] as string[] | undefined) ?? [];
  const pushRetry = (f['push-retry'] as number | undefined) ?? 0;
  if (pushRetry < 0) throw usage(`invalid value "${pushRetry}" for flag --push-retry: cannot be negative`);
  return registryOptions({
    keychain:
      keychain ?? defaultKeychain({ registryAuth: list('registry-auth'), credentialHelpers: f['credential-helpers'] as string | undefined }),
    insecurePush: Boolean(f.insecure),
    insecurePull: Boolean(f['insecure-pull']),
    insecureRegistries: list('insecure-registry').map((h) => hostValue('insecure-registry', h)),
    skipTlsVerifyPush: Boolean(f['skip-tls-verify']),
    skipTlsVerifyPull: Boolean(f['skip-tls-verify-pull']),
    skipTlsVerifyRegistries: list('skip-tls-verify-registry').map((h) => hostValue('skip-tls-verify-registry', h)),
    certificates: certificates(list('registry-certificate')),
    mirrors: list('registry-mirror').map((h) => hostValue('registry-mirror', h)),
    addresses: registryAddresses(list('registry-address')),
    pushRetry,
  });
}
