// The environment's certificates (SSL_CERT_FILE, SSL_CERT_DIR) add to Node's roots; those Node
// already holds add nothing, however their PEM is wrapped.
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { beyondNodeRoots, environmentCertificates } from '../../../src/util/trust-store.ts';

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
