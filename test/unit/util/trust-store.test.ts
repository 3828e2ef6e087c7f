// The environment's certificates (SSL_CERT_FILE, SSL_CERT_DIR) add to Node's roots; those Node
// already holds add nothing, however their PEM is wrapped.
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect, type Server, type SecureContext } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { beyondNodeRoots, environmentCertificates, trustedSecureContext } from '../../../src/util/trust-store.ts';
import { labTls } from '../../support/tls.ts';

/** Only its text matters here: a body Node's roots cannot hold. */
const OWN = '-----BEGIN CERTIFICATE-----\nb3duIGNlcnRpZmljYXRlIG9mIGEgcHJpdmF0ZSBDQQ==\n-----END CERTIFICATE-----';

/** A root of Node's, its base64 rewrapped at 76 columns and with CRLF line ends. */
function rewrapped(pem: string): string {
  const b64 = pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');
  return ['-----BEGIN CERTIFICATE-----', ...(b64.match(/.{1,76}/g) ?? []), '-----END CERTIFICATE-----'].join('\r\n');
}

describe('trust store', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiln-trust-'));
    await writeFile(join(dir, 'bundle.pem'), `${rootCertificates[0]}\n${rewrapped(rootCertificates[1])}\n`);
    await mkdir(join(dir, 'certs'));
    await writeFile(join(dir, 'certs', 'private-ca.pem'), `${OWN}\n`);
    await writeFile(join(dir, 'certs', 'again.pem'), `${rootCertificates[2]}\n`);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('reads SSL_CERT_FILE and every file of SSL_CERT_DIR', () => {
    const found = environmentCertificates({ SSL_CERT_FILE: join(dir, 'bundle.pem'), SSL_CERT_DIR: join(dir, 'certs') });
    assert.equal(found.length, 4);
  });

  it("keeps only the certificates Node's roots do not hold", () => {
    const found = environmentCertificates({ SSL_CERT_FILE: join(dir, 'bundle.pem'), SSL_CERT_DIR: join(dir, 'certs') });
    assert.deepEqual(beyondNodeRoots(found), [OWN]);
  });

  it('a system bundle of Node roots alone adds nothing', () => {
    assert.deepEqual(beyondNodeRoots(environmentCertificates({ SSL_CERT_FILE: join(dir, 'bundle.pem') })), []);
  });
});

/** Whether a TLS handshake with the server on `port`, as 127.0.0.1, verifies under `context`. */
function verifies(port: number, context: SecureContext | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ...(context ? { secureContext: context } : {}) });
    socket.once('secureConnect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('the trusted TLS context', () => {
  let server: Server;
  let port: number;
  let caPem: string;
  before(async () => {
    const tls = await labTls();
    caPem = await readFile(tls.caFile, 'utf8');
    server = createServer({ key: await readFile(tls.server.keyFile), cert: await readFile(tls.server.certFile) }, (s) => s.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("trusts a certificate given on top of Node's roots, and a server it signed", async () => {
    const context = trustedSecureContext(caPem);
    assert.ok(context);
    assert.equal(await verifies(port, context), true);
    // Node's roots alone do not know the lab CA: the handshake is refused.
    assert.equal(await verifies(port, undefined), false);
  });

  it('is made once per extra certificate', () => {
    assert.equal(trustedSecureContext(caPem), trustedSecureContext(caPem));
  });
});
