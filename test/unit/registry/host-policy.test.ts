import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostPolicy } from '../../../src/registry/host-policy.ts';
import { registryOptions } from '../../../src/registry/options.ts';
import { anonymousKeychain } from '../../../src/auth/credential.ts';
import { transportFlags, transportOptions } from '../../../src/cli/transport-flags.ts';
import { parseArgs } from '../../../src/cli/flags.ts';
import { isBuilderError } from '../../../src/util/errors.ts';

const policy = (o: Parameters<typeof registryOptions>[0]) => new HostPolicy(registryOptions(o));

test('plain HTTP: only where allowed, per direction, loopback always', () => {
  const p = policy({ keychain: anonymousKeychain, insecurePush: true, insecureRegistries: ['reg.lan:5000', 'docker.io'] });
  assert.equal(p.allowHttp('gcr.io', 'push'), true);
  assert.equal(p.allowHttp('gcr.io', 'pull'), false);
  assert.equal(p.allowHttp('reg.lan:5000', 'pull'), true);
  assert.equal(p.allowHttp('REG.LAN:5000', 'pull'), true);
  assert.equal(p.allowHttp('reg.lan:5001', 'pull'), false);
  assert.equal(p.allowHttp('registry-1.docker.io', 'pull'), true, 'docker.io names its API host too');
  for (const h of ['127.0.0.1:5000', 'localhost:5000', 'localhost', '[::1]:5000', '127.1.2.3']) assert.equal(p.allowHttp(h, 'pull'), true, h);
  assert.equal(p.allowHttp('10.0.0.1:5000', 'pull'), false);
});

test('TLS verification and CA files per host', () => {
  const p = policy({
    keychain: anonymousKeychain,
    skipTlsVerifyPull: true,
    skipTlsVerifyRegistries: ['self.signed'],
    certificates: { 'my.registry:443': '/ca/my.pem', 'index.docker.io': '/ca/hub.pem' },
  });
  assert.equal(p.skipVerify('any.io', 'pull'), true);
  assert.equal(p.skipVerify('any.io', 'push'), false);
  assert.equal(p.skipVerify('self.signed', 'push'), true);
  assert.equal(p.caFile('my.registry:443'), '/ca/my.pem');
  assert.equal(p.caFile('my.registry'), undefined);
  assert.equal(p.caFile('registry-1.docker.io'), '/ca/hub.pem');
});

test('kaniko transport flags map onto RegistryOptions', () => {
  const args = parseArgs(
    [
      '--insecure',
      '--insecure-registry=a:5000',
      '--insecure-registry',
      'b:5000',
      '--skip-tls-verify-pull=true',
      '--skip-tls-verify-registry',
      'c.io',
      '--registry-certificate',
      'my.registry.url=/path/to/the/certificate.cert',
      '--registry-mirror=mirror.gcr.io',
      '--registry-mirror',
      '192.168.0.1:5000',
      '--push-retry',
      '3',
      '--registry-address',
      '123456789012.dkr.ecr.us-east-1.amazonaws.com=127.0.0.1:5000',
      '--registry-address=ghcr.io=[::1]:8443',
    ],
    transportFlags,
  );
  const o = transportOptions(args, anonymousKeychain);
  assert.equal(o.insecurePush, true);
  assert.equal(o.insecurePull, false);
  assert.deepEqual(o.insecureRegistries, ['a:5000', 'b:5000']);
  assert.equal(o.skipTlsVerifyPush, false);
  assert.equal(o.skipTlsVerifyPull, true);
  assert.deepEqual(o.skipTlsVerifyRegistries, ['c.io']);
  assert.deepEqual(o.certificates, { 'my.registry.url': '/path/to/the/certificate.cert' });
  assert.deepEqual(o.mirrors, ['mirror.gcr.io', '192.168.0.1:5000']);
  assert.equal(o.pushRetry, 3);
  assert.deepEqual(o.addresses, { '123456789012.dkr.ecr.us-east-1.amazonaws.com': '127.0.0.1:5000', 'ghcr.io': '[::1]:8443' });
  const p = new HostPolicy(o);
  assert.deepEqual(p.address('123456789012.dkr.ecr.us-east-1.amazonaws.com'), ['127.0.0.1', 5000]);
  assert.deepEqual(p.address('ghcr.io:443'), undefined);
  assert.deepEqual(p.address('ghcr.io'), ['::1', 8443]);
  assert.equal(p.address('docker.io'), undefined);
  assert.equal(o.keychain, anonymousKeychain);
});

test('transport flag values are checked and errors name the flag', () => {
  const bad: Array<[string[], string]> = [
    [['--registry-certificate', 'nohost'], '--registry-certificate'],
    [['--registry-certificate', 'host='], '--registry-certificate'],
    [['--registry-mirror', 'https://mirror.gcr.io'], '--registry-mirror'],
    [['--insecure-registry', 'a/b'], '--insecure-registry'],
    [['--push-retry', '-1'], '--push-retry'],
    [['--registry-address', 'ghcr.io'], '--registry-address'],
    [['--registry-address', 'ghcr.io=127.0.0.1'], '--registry-address'],
    [['--registry-address', 'https://ghcr.io=127.0.0.1:5000'], '--registry-address'],
  ];
  for (const [argv, flag] of bad) {
    assert.throws(
      () => transportOptions(parseArgs(argv, transportFlags), anonymousKeychain),
      (e: unknown) => isBuilderError(e, 'USAGE') && e.message.includes(flag),
      argv.join(' '),
    );
  }
});
