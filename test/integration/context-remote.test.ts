// Remote build contexts end to end through the real CLI: s3:// against s3rver and https://
// against a local HTTP server with basic auth each build the same image, digest for digest, as
// the same files in a local directory; a wrong bucket, a missing object, refused credentials
// or a bad URL fail with one line naming the context.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { labTempDir } from '../support/temp-dirs.ts';
import { assertContextFailure, buildContext, builtDigest, writeContext } from '../support/remote-context.ts';

let work: string;
let archive: Buffer;
let localDigest: string;

before(async () => {
  work = await labTempDir('remote-context');
  const ctx = await writeContext(work);
  archive = ctx.archive;
  localDigest = builtDigest(await buildContext(ctx.dir, [], process.env, work));
});

after(() => rm(work, { recursive: true, force: true }));

describe('s3:// contexts (s3rver)', () => {
  let s3rver: S3rver;
  let endpoint: string;
  const env = (over: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    ...process.env,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    S3_ENDPOINT: endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    ...over,
  });

  before(async () => {
    s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(work, 's3rver') });
    const { port } = await s3rver.run();
    endpoint = `http://127.0.0.1:${port}`;
    const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    await client.send(new CreateBucketCommand({ Bucket: 'kiln-contexts' }));
    await client.send(new PutObjectCommand({ Bucket: 'kiln-contexts', Key: 'builds/context.tar.gz', Body: archive }));
    client.destroy();
  });

  after(() => s3rver?.close());

  test('builds the same digest as the local directory, with --context-sub-path, and reports size and time', async () => {
    const res = await buildContext('s3://kiln-contexts/builds/context.tar.gz', ['--context-sub-path', 'ctx'], env(), work);
    assert.equal(builtDigest(res), localDigest);
    assert.match(res.stdout + res.stderr, new RegExp(`fetched the build context: ${archive.length} B in \\d+\\.\\ds`));
  });

  test('AWS_ENDPOINT_URL_S3 points the SDK at the service as well', async () => {
    const res = await buildContext('s3://kiln-contexts/builds/context.tar.gz', ['--context-sub-path', 'ctx'], env({ S3_ENDPOINT: undefined, AWS_ENDPOINT_URL_S3: endpoint }), work);
    assert.equal(builtDigest(res), localDigest);
  });

  test('a wrong bucket, a missing object and refused credentials each fail in one line', async () => {
    assertContextFailure(await buildContext('s3://no-such-bucket/context.tar.gz', [], env(), work), 's3://no-such-bucket/context.tar.gz', /S3 bucket no-such-bucket does not exist/);
    assertContextFailure(await buildContext('s3://kiln-contexts/missing.tar.gz', [], env(), work), 's3://kiln-contexts/missing.tar.gz', /no object missing.tar.gz in S3 bucket kiln-contexts/);
    assertContextFailure(
      await buildContext('s3://kiln-contexts/builds/context.tar.gz', [], env({ AWS_ACCESS_KEY_ID: 'NOT-A-KEY' }), work),
      's3://kiln-contexts/builds/context.tar.gz',
      /S3 refused access .*InvalidAccessKeyId/,
    );
  });
});

describe('https:// contexts (local server with basic auth)', () => {
  let server: Server;
  let base: string;

  before(async () => {
    server = createServer((req, res) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('builder:hunter2-pass').toString('base64')}`) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="contexts"' }).end();
        return;
      }
      if (req.url !== '/ctx/context.tar.gz') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': archive.length }).end(archive);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('builds the same digest as the local directory; the password never reaches the output', async () => {
    const res = await buildContext(`http://builder:hunter2-pass@${base}/ctx/context.tar.gz`, ['--context-sub-path', 'ctx'], process.env, work);
    assert.equal(builtDigest(res), localDigest);
    assert.match(res.stdout + res.stderr, /fetched the build context: /);
    assert.doesNotMatch(res.stdout + res.stderr, /hunter2-pass/);
  });

  test('a missing file, refused credentials and an unreachable host each fail in one line', async () => {
    assertContextFailure(await buildContext(`http://builder:hunter2-pass@${base}/ctx/none.tar.gz`, [], process.env, work), `http://${base}/ctx/none.tar.gz`, /answered 404/);
    const refused = await buildContext(`http://builder:wrong-pass@${base}/ctx/context.tar.gz`, [], process.env, work);
    assertContextFailure(refused, `http://${base}/ctx/context.tar.gz`, /answered 401/);
    assert.doesNotMatch(refused.stderr, /wrong-pass/);
    assertContextFailure(await buildContext('http://127.0.0.1:1/context.tar.gz', [], process.env, work), 'http://127.0.0.1:1/context.tar.gz', /cannot reach 127\.0\.0\.1:1/);
  });
});
