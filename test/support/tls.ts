// The lab's certificate authority and the certificates it signs, made once with openssl and
// kept in the lab dir: a server certificate for HTTPS registries and token servers, and two
// token-signing certificates (RSA and EC) that the token registry trusts through the CA.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { labDir } from './lab-dir.ts';
import { ensureDir } from './once.ts';
import { run } from './exec.ts';

export interface KeyPair {
  keyFile: string;
  certFile: string;
}

export interface LabTls {
  caFile: string;
  server: KeyPair;
  tokenRsa: KeyPair;
  tokenEc: KeyPair;
}

// Bump when what is made changes, so old lab dirs are not reused.
const TLS_RECIPE = 'tls-v2';
const DAYS = '3650';

async function issue(dir: string, name: string, keyArgs: string[], subject: string, extensions: string): Promise<KeyPair> {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.pem`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  await writeFile(ext, extensions);
  await run('openssl', ['req', '-new', '-nodes', '-newkey', ...keyArgs, '-keyout', keyFile, '-out', csr, '-subj', subject]);
  await run('openssl', [
    'x509', '-req', '-in', csr, '-CA', join(dir, 'ca.pem'), '-CAkey', join(dir, 'ca.key'),
    '-set_serial', `0x${randomBytes(12).toString('hex')}`, '-days', DAYS, '-sha256', '-extfile', ext, '-out', certFile,
  ]);
  return { keyFile, certFile };
}

/** Registry host names (and wildcards) the lab server certificate is valid for besides loopback. */
const CLOUD_NAMES = [
  '*.example.com', '*.kaniko.example.com', '*.gitlab.example.com', '*.dkr.ecr.us-west-2.amazonaws.com', 'public.ecr.aws',
  '*.pkg.dev', 'gcr.io', '*.gcr.io', '*.azurecr.io', 'ghcr.io', 'packages.buildkite.com',
];

async function make(dir: string): Promise<void> {
  const ec = ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  await run('openssl', [
    'req', '-x509', '-nodes', '-newkey', ...ec, '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem'),
    '-days', DAYS, '-subj', '/CN=kiln lab CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  // Go checks only the SANs, never the CN. The cloud names let tests push to ECR-, GAR-, ACR-,
  // GHCR-shaped references that --registry-address routes to a lab registry.
  await issue(dir, 'server', ec, '/CN=localhost', [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    `subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,${CLOUD_NAMES.map((n) => `DNS:${n}`).join(',')}`,
    '',
  ].join('\n'));
  const signing = ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', ''].join('\n');
  await issue(dir, 'token-rsa', ['rsa:2048'], '/CN=kiln lab token signer (RSA)', signing);
  await issue(dir, 'token-ec', ec, '/CN=kiln lab token signer (EC)', signing);
}

let made: Promise<LabTls> | undefined;

export function labTls(): Promise<LabTls> {
  made ??= ensureDir(labDir('tls', TLS_RECIPE), make).then((dir) => ({
    caFile: join(dir, 'ca.pem'),
    server: { keyFile: join(dir, 'server.key'), certFile: join(dir, 'server.pem') },
    tokenRsa: { keyFile: join(dir, 'token-rsa.key'), certFile: join(dir, 'token-rsa.pem') },
    tokenEc: { keyFile: join(dir, 'token-ec.key'), certFile: join(dir, 'token-ec.pem') },
  }));
  return made;
}
