// Per-host transport decisions: may this host be reached over plain HTTP, is its certificate
// checked, which extra CA does it trust.
import { normalizeRegistry, registryApiHost } from './reference.ts';
import type { Direction, RegistryOptions } from './options.ts';

/** Loopback registries may always fall back to HTTP, as docker and go-containerregistry allow. */
function isLoopback(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost') || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/** All spellings a flag value may use for the same registry: as given, its name, its API host. */
function hostForms(host: string): string[] {
  const h = host.toLowerCase().replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
  return [h, normalizeRegistry(h), registryApiHost(h)];
}

export class HostPolicy {
  private readonly insecureHosts: Set<string>;
  private readonly skipVerifyHosts: Set<string>;
  private readonly caFiles = new Map<string, string>();
  private readonly opts: RegistryOptions;

  constructor(opts: RegistryOptions) {
    this.opts = opts;
    this.insecureHosts = new Set(opts.insecureRegistries.flatMap(hostForms));
    this.skipVerifyHosts = new Set(opts.skipTlsVerifyRegistries.flatMap(hostForms));
    for (const [host, file] of Object.entries(opts.certificates)) {
      for (const form of hostForms(host)) this.caFiles.set(form, file);
    }
  }

  private has(set: Set<string>, host: string): boolean {
    return hostForms(host).some((h) => set.has(h));
  }

  /** HTTPS is always tried first; this says whether plain HTTP may follow when it fails. */
  allowHttp(host: string, direction: Direction): boolean {
    const all = direction === 'push' ? this.opts.insecurePush : this.opts.insecurePull;
    return all || this.has(this.insecureHosts, host) || isLoopback(host);
  }

  skipVerify(host: string, direction: Direction): boolean {
    const all = direction === 'push' ? this.opts.skipTlsVerifyPush : this.opts.skipTlsVerifyPull;
    return all || this.has(this.skipVerifyHosts, host);
  }

  /** The --registry-address override for this host, as [address, port]. */
  address(host: string): [string, number] | undefined {
    for (const h of hostForms(host)) {
      const to = this.opts.addresses[h];
      if (to) {
        const colon = to.lastIndexOf(':');
        return [to.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), Number(to.slice(colon + 1))];
      }
    }
    return undefined;
  }

  caFile(host: string): string | undefined {
    for (const h of hostForms(host)) {
      const file = this.caFiles.get(h);
      if (file) return file;
    }
    return undefined;
  }
}
