// The certificates kiln trusts for registries: Node's own roots, plus what OpenSSL's variables
// name. kaniko's image sets SSL_CERT_DIR=/kaniko/ssl/certs and pods mount extra CAs there; Go
// reads it, Node does not, so kiln reads it itself. Unlike OpenSSL, the variables add to the
// roots instead of replacing them: kiln has no system store of its own to fall back on.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
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

/** Node's roots plus the environment's certificates, or undefined when the environment adds none of its own. */
export function trustedRoots(): string[] | undefined {
  cached ??= beyondNodeRoots(environmentCertificates());
  return cached.length > 0 ? [...rootCertificates, ...cached] : undefined;
}
