// gs:// build contexts end to end through the real CLI and the real @google-cloud/storage:
// STORAGE_EMULATOR_HOST points it at the strict local JSON API server (test/support/gcs-server.ts)
// and GCE_METADATA_HOST its Application Default Credentials at the lab metadata server, whose
// tokens are the only ones the GCS server accepts. The build matches the same files as a local
// directory digest for digest; a wrong bucket, a missing object, an account without a grant and
// a caller without credentials each fail in one line naming the context; no token is printed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { startGcpServer, type GcpServer } from '../support/gcp-server.ts';
import { startGcsServer, type GcsServer } from '../support/gcs-server.ts';
import { startOidcIssuer, type OidcIssuer } from '../support/oidc-issuer.ts';
import type { KilnResult } from '../support/kiln-cli.ts';
import { assertContextFailure, buildContext, builtDigest, writeContext } from '../support/remote-context.ts';
import { labTempDir } from '../support/temp-dirs.ts';

const PROVIDER = '//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/kiln-lab/providers/ci';
const READER = 'builder@kiln-lab.iam.gserviceaccount.com';
const OUTSIDER = 'outsider@kiln-lab.iam.gserviceaccount.com';
const OBJECT = 'gs://kiln-contexts/builds/context.tar.gz';

describe('gs:// contexts (strict local GCS JSON API, metadata-server credentials)', () => {
  let work: string;
  let archive: Buffer;
  let localDigest: string;
  let issuer: OidcIssuer;
  let metadata: GcpServer;
  let outsiderMetadata: GcpServer;
  let gcs: GcsServer;

  const env = (over: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const base: NodeJS.ProcessEnv = { ...process.env, HOME: work, STORAGE_EMULATOR_HOST: gcs.emulatorHost, GCE_METADATA_HOST: metadata.metadataHost, ...over };
    delete base.GOOGLE_APPLICATION_CREDENTIALS;
    return base;
  };
  /** No access token any metadata server issued appears in the output. */
  const assertNoToken = (res: KilnResult): void => {
    for (const token of [...metadata.issued.keys(), ...outsiderMetadata.issued.keys()]) {
      assert.ok(!(res.stdout + res.stderr).includes(token), 'an access token reached the output');
    }
  };

  before(async () => {
    work = await labTempDir('context-gcs');
    const ctx = await writeContext(work);
    archive = ctx.archive;
    localDigest = builtDigest(await buildContext(ctx.dir, [], process.env, work));
    issuer = await startOidcIssuer();
    metadata = await startGcpServer({ issuer, workloadIdentityProvider: PROVIDER, serviceAccount: READER, metadataServiceAccount: READER });
    outsiderMetadata = await startGcpServer({ issuer, workloadIdentityProvider: PROVIDER, serviceAccount: OUTSIDER, metadataServiceAccount: OUTSIDER });
    const authorize = (token: string): string | undefined => {
      const issued = metadata.issued.get(token) ?? outsiderMetadata.issued.get(token);
      return issued && issued.expiresAt > Date.now() ? issued.account : undefined;
    };
    gcs = await startGcsServer({ authorize, readers: { 'kiln-contexts': [READER] } });
    gcs.createBucket('kiln-contexts');
    gcs.putObject('kiln-contexts', 'builds/context.tar.gz', archive);
  });

  after(async () => {
    await gcs?.stop();
    await outsiderMetadata?.stop();
    await metadata?.stop();
    await issuer?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('builds the same digest as the local directory, with --context-sub-path, and reports size and time', async () => {
    const seen = gcs.requests.length;
    const res = await buildContext(OBJECT, ['--context-sub-path', 'ctx'], env(), work);
    assert.equal(builtDigest(res), localDigest);
    assert.match(res.stdout + res.stderr, new RegExp(`fetched the build context: ${archive.length} B in \\d+\\.\\ds`));
    assertNoToken(res);
    // Metadata first, then the media read pinned to its generation, both as the metadata server's account.
    const requests = gcs.requests.slice(seen);
    assert.equal(requests.length, 2, requests.join('\n'));
    assert.match(requests[0], new RegExp(`^GET /storage/v1/b/kiln-contexts/o/builds%2Fcontext\\.tar\\.gz\\S* ${READER}$`));
    assert.match(requests[1], new RegExp(`^GET /storage/v1/b/kiln-contexts/o/builds%2Fcontext\\.tar\\.gz\\?\\S*alt=media\\S*generation=\\d+\\S* ${READER}$`));
  });

  test('a wrong bucket, a missing object, an account without a grant and no credentials each fail in one line', async () => {
    assertContextFailure(await buildContext('gs://no-such-bucket/context.tar.gz', [], env(), work), 'gs://no-such-bucket/context.tar.gz', /GCS bucket no-such-bucket does not exist$/);
    assertContextFailure(await buildContext('gs://kiln-contexts/missing.tar.gz', [], env(), work), 'gs://kiln-contexts/missing.tar.gz', /no object missing\.tar\.gz in GCS bucket kiln-contexts$/);
    const refused = await buildContext(OBJECT, [], env({ GCE_METADATA_HOST: outsiderMetadata.metadataHost }), work);
    assertContextFailure(refused, OBJECT, new RegExp(`GCS refused access to ${OBJECT} \\(403 ${OUTSIDER} does not have storage\\.objects\\.get access`));
    assertNoToken(refused);
    // No metadata server answers: ADC has nothing, so the emulator endpoint is asked anonymously and refuses.
    const anonymous = await buildContext(OBJECT, [], env({ GCE_METADATA_HOST: '127.0.0.1:1' }), work);
    assertContextFailure(anonymous, OBJECT, /GCS refused access to .* \(401 Anonymous caller/);
  });

  test('without an emulator endpoint and without credentials the error says where credentials come from', async () => {
    const res = await buildContext(OBJECT, [], env({ STORAGE_EMULATOR_HOST: undefined, GCE_METADATA_HOST: '127.0.0.1:1' }), work);
    assertContextFailure(res, OBJECT, /no Google credentials found \(set GOOGLE_APPLICATION_CREDENTIALS/);
  });
});
