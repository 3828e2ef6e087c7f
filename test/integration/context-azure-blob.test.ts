// Azure blob build contexts end to end through the real CLI and the real @azure/storage-blob
// against Azurite, which checks every request's shared-key signature. The context URL is the
// production form (https://ACCOUNT.blob.core.windows.net/…); AZURE_STORAGE_CONNECTION_STRING's
// BlobEndpoint sends it to Azurite, the key coming from kaniko's AZURE_STORAGE_ACCESS_KEY or from
// the connection string. Same digest as the local directory; a wrong container, a missing blob,
// a wrong key, no key and another account's connection string each fail in one line; no key is printed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { BlobServiceClient } from '@azure/storage-blob';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, type Azurite } from '../support/azure-blob.ts';
import type { KilnResult } from '../support/kiln-cli.ts';
import { assertContextFailure, buildContext, builtDigest, writeContext } from '../support/remote-context.ts';
import { labTempDir } from '../support/temp-dirs.ts';

const HOST = `https://${AZURITE_ACCOUNT}.blob.core.windows.net`;
const BLOB = `${HOST}/kiln-contexts/builds/context.tar.gz`;
// Valid base64 of the right length, not the account's key.
const WRONG_KEY = Buffer.alloc(64, 7).toString('base64');

describe('Azure blob contexts (Azurite, shared key)', () => {
  let work: string;
  let archive: Buffer;
  let localDigest: string;
  let azurite: Azurite;

  const env = (over: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    ...process.env,
    AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString(),
    AZURE_STORAGE_ACCESS_KEY: AZURITE_KEY,
    ...over,
  });
  const assertNoKey = (res: KilnResult): void => {
    for (const key of [AZURITE_KEY, WRONG_KEY]) assert.ok(!(res.stdout + res.stderr).includes(key), 'an account key reached the output');
  };

  before(async () => {
    work = await labTempDir('context-azure');
    const ctx = await writeContext(work);
    archive = ctx.archive;
    localDigest = builtDigest(await buildContext(ctx.dir, [], process.env, work));
    azurite = await startAzurite();
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString(AZURITE_KEY));
    const container = service.getContainerClient('kiln-contexts');
    await container.create();
    await container.getBlockBlobClient('builds/context.tar.gz').uploadData(archive);
  });

  after(async () => {
    await azurite?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('AZURE_STORAGE_ACCESS_KEY: the same digest as the local directory, with --context-sub-path, size and time reported', async () => {
    const res = await buildContext(BLOB, ['--context-sub-path', 'ctx'], env(), work);
    assert.equal(builtDigest(res), localDigest);
    assert.match(res.stdout + res.stderr, new RegExp(`fetched the build context: ${archive.length} B in \\d+\\.\\ds`));
    assertNoKey(res);
  });

  test('the key inside AZURE_STORAGE_CONNECTION_STRING works as well', async () => {
    const res = await buildContext(BLOB, ['--context-sub-path', 'ctx'], env({ AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString(AZURITE_KEY), AZURE_STORAGE_ACCESS_KEY: undefined }), work);
    assert.equal(builtDigest(res), localDigest);
    assertNoKey(res);
  });

  test('a wrong container, a missing blob, a wrong key, no key and another account each fail in one line', async () => {
    assertContextFailure(await buildContext(`${HOST}/no-such-container/context.tar.gz`, [], env(), work), `${HOST}/no-such-container/context.tar.gz`, /no container no-such-container in Azure storage account devstoreaccount1$/);
    assertContextFailure(await buildContext(`${HOST}/kiln-contexts/missing.tar.gz`, [], env(), work), `${HOST}/kiln-contexts/missing.tar.gz`, /no blob missing\.tar\.gz in Azure container kiln-contexts$/);
    const refused = await buildContext(BLOB, [], env({ AZURE_STORAGE_ACCESS_KEY: WRONG_KEY }), work);
    assertContextFailure(refused, BLOB, /Azure refused access to kiln-contexts\/builds\/context\.tar\.gz \(403 /);
    assertNoKey(refused);
    assertContextFailure(await buildContext(BLOB, [], env({ AZURE_STORAGE_ACCESS_KEY: undefined }), work), BLOB, /AZURE_STORAGE_ACCESS_KEY is not set/);
    const other = `https://otheraccount.blob.core.windows.net/kiln-contexts/builds/context.tar.gz`;
    assertContextFailure(await buildContext(other, [], env(), work), other, /AZURE_STORAGE_CONNECTION_STRING is for storage account devstoreaccount1, not otheraccount$/);
  });
});
