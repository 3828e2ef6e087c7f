// The certificates kiln trusts for registries: Node's own roots, plus what OpenSSL's variables
// name. kaniko's image sets SSL_CERT_DIR=/kaniko/ssl/certs and pods mount extra CAs there; Go
// reads it, Node does not, so kiln reads it itself. Unlike OpenSSL, the variables add to the
// roots instead of replacing them: kiln has no system store of its own to fall back on.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { log } from './log.ts';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function certificatesIn(path: string): string[] {
  return readFileSync(path, 'utf8').match(PEM_CERTIFICATE) ?? [];
}

/** PEM certificates from $SSL_CERT_FILE and the files of $SSL_CERT_DIR (':'-separated, as OpenSSL). */
export function environmentCertificates(env: NodeJS.ProcessEnv = process.env): string[] {
  const found: string[] = [];
  const file = env.SSL_CERT_FILE;
  if (file) {
    try {
      found.push(...certificatesIn(file));
    } catch {
      log.warn(`SSL_CERT_FILE=${file} cannot be read; its certificates are not trusted`);
    }
  }
  for (const dir of (env.SSL_CERT_DIR ?? '').split(':').filter(Boolean)) {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      log.warn(`SSL_CERT_DIR entry ${dir} cannot be read; its certificates are not trusted`);
      continue;
    }
    // Hashed links point at files also listed: reading both only repeats a certificate.
    for (const name of names) {
      try {
        found.push(...certificatesIn(join(dir, name)));
      } catch {
        // A subdirectory or an unreadable file holds nothing OpenSSL would read either.
      }
    }
  }
  return [...new Set(found)];
}

/** A certificate's DER in base64: the same certificate whatever the line breaks of its PEM. */
function body(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');
}

/**
 * The certificates of `extra` that Node's roots do not hold. CI images often point SSL_CERT_FILE
 * and SSL_CERT_DIR at the system bundle, which is mostly Mozilla's roots again: only the rest
 * needs a TLS context of kiln's own, whose making parses every certificate it is given.
 */
export function beyondNodeRoots(extra: string[]): string[] {
  const known = new Set(rootCertificates.map(body));
  return extra.filter((pem) => !known.has(body(pem)));
}

let cached: string[] | undefined;

function environmentExtras(): string[] {
  cached ??= beyondNodeRoots(environmentCertificates());
  return cached;
}

/** Node's roots plus the environment's certificates, or undefined when the environment adds none of its own. */
export function trustedRoots(): string[] | undefined {
  const extra = environmentExtras();
  return extra.length > 0 ? [...rootCertificates, ...extra] : undefined;
}

const secureContexts = new Map<string, SecureContext>();

/**
 * One TLS context per extra certificate (a --registry-certificate) for the process, trusting
 * Node's roots (NODE_EXTRA_CA_CERTS included), the environment's certificates and `extraPem`;
 * undefined when nothing is added to Node's own default. tls.connect given `ca` would build a
 * context for each connection, and `ca` replaces the roots, so they would be parsed again every
 * time (about 20 ms for Mozilla's set). Node's default context shares the roots it parsed once;
 * adding to it (the native context's addCACert, which copies the shared store before the first
 * addition, as createSecureContext({ ca }) does certificate by certificate) parses only the extras.
 */
export function trustedSecureContext(extraPem?: string): SecureContext | undefined {
  const extra = extraPem === undefined ? environmentExtras() : [...environmentExtras(), extraPem];
  if (extra.length === 0) return undefined;
  const key = extraPem ?? '';
  let context = secureContexts.get(key);
  if (!context) {
    context = createSecureContext();
    const native = (context as unknown as { context: { addCACert(pem: string): void } }).context;
    for (const pem of extra) native.addCACert(pem);
    secureContexts.set(key, context);
  }
  return context;
}
